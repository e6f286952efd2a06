"""Write a data directory with the release at 0230038 (run with that tree first on sys.path)."""

import shutil
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.domain.clock import FixedClock
from bot.features import evidence
from bot.services import open_services
from sandbox.demo import seed_demo

out = Path(sys.argv[1])
shutil.rmtree(out, ignore_errors=True)
tz = ZoneInfo("Asia/Shanghai")
now = datetime(2021, 6, 28, 10, 0, tzinfo=tz)
services = open_services(
    Settings(data_dir=out, coordinators=frozenset({1001}), summary_chat_id=-100500),
    writer=True,
    clock=FixedClock(now),
)
print(seed_demo(services)[:3])
store = services.store
store.bind_contact(2001, "区司法局", name="Alice", at=now)
store.update_state(
    18, "区司法局", at=now, actor=2001, status="doing", percent=60, note="已起草制度文件"
)
store.create_invite("区商务局", at=now, actor=1001)
store.set_reachable(2001, False, at=now + timedelta(hours=1))
temp = out / "upload.pdf"
temp.write_bytes(b"%PDF-1.4\n% old release evidence\n")
vetted = evidence.vet("告知承诺制度.pdf", "application/pdf", temp.stat().st_size)
evidence.keep_file(
    store,
    out,
    temp,
    vetted,
    task_id=18,
    unit="区司法局",
    at=now,
    uploader=2001,
    uploader_name="Alice",
)
store.ledger_put("remind:2021-06-28:18:区司法局", status="sent")
services.close()
(out / "duban.lock").unlink(missing_ok=True)
print(sorted(p.name for p in out.iterdir()))
