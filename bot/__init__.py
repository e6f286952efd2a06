"""duban (督办助手): keeps a government campaign plan on schedule through Telegram."""

from pathlib import Path

__version__ = "0.1.0"

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
