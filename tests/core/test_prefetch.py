import threading

import pytest

from anonymizer_gui.core.foundation import prefetched


def test_items_arrive_in_order_from_another_thread():
    seen_on = set()

    def numbers():
        for i in range(50):
            seen_on.add(threading.current_thread().name)
            yield i

    assert list(prefetched(numbers(), 4, "numbers")) == list(range(50))
    assert seen_on == {"numbers"}


def test_an_error_in_the_producer_is_raised_in_the_consumer_after_the_items_before_it():
    def failing():
        yield 1
        yield 2
        raise ValueError("damaged packet")

    got = []
    with pytest.raises(ValueError, match="damaged packet"):
        for item in prefetched(failing(), 8):
            got.append(item)
    assert got == [1, 2]


def test_stopping_early_closes_the_source_on_its_own_thread_and_stops_it():
    closed_on = []
    produced = []

    def endless():
        try:
            i = 0
            while True:
                produced.append(i)
                yield i
                i += 1
        finally:
            closed_on.append(threading.current_thread().name)

    items = prefetched(endless(), 2, "reader")
    assert [next(items) for _ in range(3)] == [0, 1, 2]
    items.close()
    assert closed_on == ["reader"]
    count = len(produced)
    assert count <= 3 + 2 + 2  # bounded read-ahead: the consumed items, the queue, one in hand
    assert not any(t.name == "reader" for t in threading.enumerate())
