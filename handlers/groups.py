"""Handler groups, in the order PTB runs them for each update.

PTB runs one matching handler per group, lowest group first; `ApplicationHandlerStop` in a
group stops the later ones. So the gate comes first (who may speak, and each update once), the
commands and dialogues next, then what must see an update after its command was handled.
"""

from __future__ import annotations

from enum import IntEnum


class Group(IntEnum):
    GATE = -1  # drop redelivered updates; strangers get an explanation, nothing more
    COMMANDS = 0  # every command, button, dialogue and reply; the first match wins
    AFTER = 1  # a command or button that ends what the bot was waiting for
    REACH = 2  # a contact who writes again is reachable again (sees every update)
