"""Which task a ref typed by a person names: `/update 18 …`, `/task B18`, `#B18 …`, a caption.

A coded ref (`B18`, `#b18`) names plan B's task 18, active or closed: a closed plan's tasks
stay readable (never changed: `access.authorize`). A bare number looks among the active plans
only, never a closed one: for a contact first among their units' tasks (taken when exactly one
is theirs), else among all. Several: the person is asked which plan, a button each
(`plan_choices`); none: the command's own "no such task", naming the ref as typed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.plan.refs import REF, TASK_NO_DIGITS, Ref, naming, task_ref
from bot.store import Store
from bot.text.render import render

# A message that starts with a ref (`#18 …`, `#B18 …`): it names its own task.
STARTS_WITH_REF = r"^\s*[#＃]\s?(?:[A-Za-z]{1,4}\s?)?\d"


@dataclass(frozen=True)
class Lookup:
    """The tasks a typed ref may name (`keys`), and the ref as typed (`B18`, `18`)."""

    typed: str
    keys: tuple[int, ...]

    @property
    def key(self) -> int | None:
        """The one task it names, if exactly one."""
        return self.keys[0] if len(self.keys) == 1 else None


def typed(ref: Ref) -> str:
    """A ref as typed, tidied: `b 18` → `B18`."""
    return f"{ref.code or ''}{ref.no}"


def lookup(store: Store, ref: Ref, units: Iterable[str] = ()) -> Lookup:
    """The tasks `ref` may name for someone of `units` (see the module)."""
    if ref.code is not None:
        return Lookup(typed(ref), tuple(store.plan.find(ref.code, ref.no)))
    found = store.plan.find(None, ref.no)
    mine = set(units)
    if len(found) > 1 and mine:
        own = [k for k in found if any(s["unit"] in mine for s in store.parts.states(task=k))]
        found = own or found
    return Lookup(typed(ref), tuple(found))


def lookup_text(store: Store, text: str | None, units: Iterable[str] = ()) -> Lookup | None:
    """`lookup` of a command's argument (`#B18`, `b18`, `18`); None when it is no ref."""
    m = REF.match((text or "").strip())
    if m is None:
        return None
    code = m[1].upper() if m[1] else None
    if len(m[2]) > TASK_NO_DIGITS:
        return Lookup(f"{code or ''}{m[2]}", ())
    return lookup(store, Ref(code, int(m[2])), units)


def names(ref: Ref, key: int) -> bool:
    """Whether `ref` names task `key` (a reply's `#B18` against the tasks of its message)."""
    code, no = naming().numbers.get(key, ("", key))
    return no == ref.no and (ref.code is None or ref.code == code)


def coded(store: Store, key: int) -> str:
    """Task `key`'s ref with its plan's code whatever is active (`B18`): it names that one task
    when typed again (a command continued after the person chose its plan)."""
    task, plan = store.plan.task(key), store.plan.plan_of(key)
    if task is None or plan is None:
        return str(key)
    return f"{plan.code}{task.number}"


def plan_choices(store: Store, keys: Iterable[int]) -> list[tuple[int, str]]:
    """A button label per task a bare number may name: its ref and its plan (`#B18 《…》`)."""
    out = []
    for key in keys:
        plan = store.plan.plan_of(key)
        out.append((key, f"{task_ref(key)} 《{plan.short}》" if plan else task_ref(key)))
    return out


def which_text(found: Lookup, *, in_group: bool = False) -> str:
    """The question when a bare number names a task in several plans (in a group, where
    buttons are the coordinators': which refs to write instead)."""
    refs = [task_ref(key) for key in found.keys]
    return render("refs.html.j2", step="which", typed=found.typed, refs=refs, group=in_group)


def unknown_text(found: Lookup) -> str:
    """No task has the ref as typed."""
    return render("update_error.html.j2", reason="unknown_task", task_id=found.typed)


def closed_text(store: Store, key: int) -> str | None:
    """Why task `key` may not be changed: its plan is closed (None: it is open)."""
    plan = store.plan.plan_of(key)
    if plan is None or plan.active:
        return None
    return render("refs.html.j2", step="closed", plan=plan, task=key)
