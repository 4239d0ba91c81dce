"""Assembly of streamed tool-call deltas into whole tool calls.

Providers differ in how they number the pieces of parallel calls: some leave out
`index`, some send every call at index 0, some send empty ids. Slots are found by
index first and by id second, and a piece that plainly starts another call (a new
id, or a new name after complete arguments) opens a new slot.
"""

import json
import uuid
from collections.abc import Iterable

from .models import ToolCall


class _Slot:
    def __init__(self) -> None:
        self.id = ""
        self.name = ""
        self.arguments: list[str] = []

    def has_complete_arguments(self) -> bool:
        text = "".join(self.arguments).strip()
        if not text:
            return False
        try:
            json.loads(text)
        except ValueError:
            return False
        return True


class ToolCallAccumulator:
    """Collects the tool-call pieces of one streamed reply."""

    def __init__(self) -> None:
        self._slots: list[_Slot] = []
        self._by_index: dict[int, _Slot] = {}
        self._by_id: dict[str, _Slot] = {}

    def add(
        self,
        *,
        index: int | None,
        call_id: str | None,
        name: str | None,
        arguments: str | None,
    ) -> None:
        slot = self._find_slot(index, call_id)
        if slot is not None and self._starts_new_call(slot, call_id, name):
            slot = None
        if slot is None:
            slot = _Slot()
            self._slots.append(slot)

        if call_id and not slot.id:
            slot.id = call_id
            self._by_id[call_id] = slot
        if index is not None:
            self._by_index[index] = slot
        if name and name != slot.name:
            slot.name += name
        if arguments:
            slot.arguments.append(arguments)

    def tool_calls(self) -> list[ToolCall]:
        """The assembled calls, each with an id unique within the reply."""
        return with_unique_ids(
            {
                "id": slot.id,
                "type": "function",
                "function": {"name": slot.name, "arguments": "".join(slot.arguments)},
            }
            for slot in self._slots
        )

    def _find_slot(self, index: int | None, call_id: str | None) -> _Slot | None:
        if call_id and call_id in self._by_id:
            return self._by_id[call_id]
        if index is not None:
            return self._by_index.get(index)
        if call_id:
            return None
        # No index and no id: a continuation of the latest call.
        return self._slots[-1] if self._slots else None

    @staticmethod
    def _starts_new_call(slot: _Slot, call_id: str | None, name: str | None) -> bool:
        if call_id and slot.id and call_id != slot.id:
            return True
        return bool(name and slot.name and slot.has_complete_arguments())


def with_unique_ids(tool_calls: Iterable[ToolCall]) -> list[ToolCall]:
    """Give calls without an id, or with an id already used, a fresh one, so every
    tool result can answer exactly one call."""
    seen: set[str] = set()
    unique: list[ToolCall] = []
    for call in tool_calls:
        if not call["id"] or call["id"] in seen:
            call = {
                "id": f"call_{uuid.uuid4().hex[:24]}",
                "type": "function",
                "function": call["function"],
            }
        seen.add(call["id"])
        unique.append(call)
    return unique
