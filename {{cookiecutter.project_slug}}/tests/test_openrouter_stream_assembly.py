"""Assembly of streamed tool-call pieces, piece by piece."""

from {{ cookiecutter.package_name }}.clients._stream import ToolCallAccumulator


def assembled(accumulator: ToolCallAccumulator) -> list[tuple[str, str, str]]:
    return [
        (call["id"], call["function"]["name"], call["function"]["arguments"])
        for call in accumulator.tool_calls()
    ]


def test_a_new_id_at_a_reused_index_opens_a_call_before_its_name_arrives() -> None:
    accumulator = ToolCallAccumulator()

    accumulator.add(index=0, call_id="a", name="f", arguments='{"x":')
    accumulator.add(index=0, call_id=None, name=None, arguments="1}")
    accumulator.add(index=0, call_id="b", name=None, arguments=None)
    accumulator.add(index=0, call_id=None, name="g", arguments='{"y":2}')

    assert assembled(accumulator) == [("a", "f", '{"x":1}'), ("b", "g", '{"y":2}')]


def test_pieces_without_index_follow_their_id() -> None:
    accumulator = ToolCallAccumulator()

    accumulator.add(index=None, call_id="a", name="f", arguments=None)
    accumulator.add(index=None, call_id="b", name="f", arguments=None)
    accumulator.add(index=None, call_id="a", name=None, arguments='{"x":1}')
    accumulator.add(index=None, call_id="b", name=None, arguments='{"x":2}')

    assert assembled(accumulator) == [("a", "f", '{"x":1}'), ("b", "f", '{"x":2}')]


def test_a_repeated_name_with_unfinished_arguments_continues_the_call() -> None:
    accumulator = ToolCallAccumulator()

    accumulator.add(index=0, call_id="", name="f", arguments='{"x":')
    accumulator.add(index=0, call_id="", name="f", arguments="1}")

    [(call_id, name, arguments)] = assembled(accumulator)
    assert call_id.startswith("call_")
    assert (name, arguments) == ("f", '{"x":1}')


def test_distinct_indexes_interleaved_stay_apart() -> None:
    accumulator = ToolCallAccumulator()

    accumulator.add(index=0, call_id="a", name="f", arguments=None)
    accumulator.add(index=1, call_id="b", name="g", arguments=None)
    accumulator.add(index=1, call_id=None, name=None, arguments='{"y":2}')
    accumulator.add(index=0, call_id=None, name=None, arguments='{"x":1}')

    assert assembled(accumulator) == [("a", "f", '{"x":1}'), ("b", "g", '{"y":2}')]
