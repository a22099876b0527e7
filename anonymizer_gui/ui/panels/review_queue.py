"""ReviewQueue: the keyboard review of every track, one decision per key.

N / Shift+N go to the next / previous unreviewed track: in risk order (core.review.risk_order),
or in the tracks panel's order when the operator sorted it; either way only rows the panel's
filters show. Going to a track selects it, seeks to its best frame and loops its span. A accepts
(stays masked), X rejects (a false detection: asks the reason, "false detection" pre-selected),
V keeps visible (asks the reason); each records who and when (commands.set_review) and goes on.

Bulk decisions (the panel's filtered rows, a whole person group) are confirmed and one undo step.
The prompts are attributes (ask_reason, confirm) so a test or a headless run can answer them.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox, QWidget

from ...core.project import REASON_REQUIRED_STATES
from ...core.review import best_frame, risk_order
from ..document import commands
from ..document.document import ProjectDocument
from .reason_dialog import ask_reason

DEFAULT_REASON = {"rejected": "false_detection", "visible": "requester"}
TITLES = {"rejected": "Reject: why is this not to be masked?", "visible": "Keep visible: on what grounds?"}
OrderSource = Callable[[], tuple[list[int] | None, set[int] | None]]


class ReviewQueue(QObject):
    moved = Signal(int)  # the track now under review

    def __init__(self, doc: ProjectDocument, playback=None, order_source: OrderSource | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.doc = doc
        self.playback = playback
        # () -> (the panel's sorted ids or None when unsorted, the ids its filters show or None for all)
        self.order_source = order_source
        self.autoplay = False  # start playing the track's span on arrival (the loop is set either way)
        self.ask_reason = self._ask_reason_dialog  # (state, default code, note) -> (code, note) | None
        self.confirm = self._confirm_box  # (question) -> bool
        self._actions: list[QAction] | None = None
        doc.projectReset.connect(self._prefetch_first)

    def _prefetch_first(self) -> None:
        """A project just opened: the first N is instant too."""
        first = self.next_id() if self.doc.project is not None else None
        if first is not None:
            self._prefetch_after(first, count=1, lead=[best_frame(self.doc.track(first))])

    # -- order ----------------------------------------------------------------------------------
    def order(self) -> list[int]:
        """Every track (reviewed or not) in queue order; N walks the unreviewed ones."""
        if self.doc.project is None:
            return []
        sorted_ids, shown = self.order_source() if self.order_source else (None, None)
        ids = sorted_ids if sorted_ids is not None else [r.track_id for r in risk_order(self.doc.project)]
        return [i for i in ids if shown is None or i in shown]

    def next_id(self, backwards: bool = False, after: int | None = None) -> int | None:
        order = self.order()
        pending = [i for i in order if not self.doc.track(i).reviewed]
        if not pending:
            return None
        current = after if after is not None else (self.doc.selected_ids[0] if self.doc.selected_ids else None)
        if current not in order:
            return pending[-1] if backwards else pending[0]
        pos = order.index(current)
        walk = order[pos + 1:] + order[:pos] if not backwards else order[:pos][::-1] + order[pos + 1:][::-1]
        return next((i for i in walk if i in pending), None) or (current if current in pending else None)

    def go(self, backwards: bool = False) -> int | None:
        track_id = self.next_id(backwards)
        if track_id is not None:
            self.show(track_id)
        return track_id

    def show(self, track_id: int) -> None:
        """Select the track, seek to its best frame, loop its span."""
        track = self.doc.track(track_id)
        if self.playback is not None:
            self.playback.stop()
            self.playback.set_loop((track.first_frame, track.last_frame))
        self.doc.select([track_id])
        self.doc.set_frame(best_frame(track))
        if self.playback is not None and self.autoplay:
            self.playback.play()
        self._prefetch_after(track_id)
        self.moved.emit(track_id)

    def _prefetch_after(self, track_id: int, count: int = 2, lead: list[int] | None = None) -> None:
        """Decode the next tracks' best frames while the operator looks at this one: a seek into a
        long GOP costs hundreds of ms at 720p, a cached frame shows at once."""
        frames = getattr(self.playback, "frames", None)
        if frames is None:
            return
        wanted, after = list(lead or []), track_id
        for _ in range(count):
            after = self.next_id(after=after)
            if after is None or after == track_id:
                break
            wanted.append(best_frame(self.doc.track(after)))
        frames.prefetch(wanted)

    # -- decisions ------------------------------------------------------------------------------
    def decide(self, state: str) -> bool:
        """Decide the selected tracks (the next unreviewed one when none is selected), then go on."""
        ids = [i for i in self.doc.selected_ids if self.doc.has_track(i)]
        if not ids:
            first = self.next_id()
            if first is None:
                return False
            ids = [first]
        if not self._push(ids, state, f"{len(ids)} track(s)"):
            return False
        following = self.next_id(after=ids[0])
        if following is not None:
            self.show(following)
        elif self.playback is not None:
            self.playback.set_loop(None)
        return True

    def accept(self) -> bool:
        return self.decide("accepted")

    def reject(self) -> bool:
        return self.decide("rejected")

    def keep_visible(self) -> bool:
        return self.decide("visible")

    def bulk(self, state: str, ids: list[int], what: str = "the tracks shown") -> bool:
        """One decision on many tracks (confirmed; one undo step)."""
        ids = [i for i in ids if self.doc.has_track(i)]
        if not ids:
            return False
        verb = commands.REVIEW_VERBS[state].lower()
        if not self.confirm(f"{verb.capitalize()} all {len(ids)} of {what}?"):
            return False
        done = self._push(ids, state, what)
        if done:
            self._prefetch_after(ids[0], count=2)
        return done

    def keep_person_visible(self, group: int) -> bool:
        """The subject-access case: every track of one person kept visible, with one reason."""
        ids = [t.id for t in self.doc.project.tracks if t.group == group]
        return self.bulk("visible", ids, f"the tracks of person {group}")

    def _push(self, ids: list[int], state: str, what: str) -> bool:
        code, note = "", None
        if state in REASON_REQUIRED_STATES:
            first = self.doc.track(ids[0])
            answer = self.ask_reason(state, first.reason_code or DEFAULT_REASON[state], first.reason)
            if answer is None:
                return False
            code, note = answer
            note = note if note else None
        self.doc.undo_stack.push(commands.set_review(self.doc, ids, state, code, note))
        return True

    # -- prompts --------------------------------------------------------------------------------
    def _ask_reason_dialog(self, state: str, default: str, note: str):
        return ask_reason(self.parent(), self.doc.project.reasons, TITLES[state], default, note)

    def _confirm_box(self, question: str) -> bool:
        answer = QMessageBox.question(self.parent(), "Review", question)
        return answer == QMessageBox.StandardButton.Yes

    # -- actions --------------------------------------------------------------------------------
    def actions(self) -> list[QAction]:
        """N, Shift+N, A, X, V, window-wide; for the Review menu."""
        if self._actions is None:
            spec = [("Next Track to Review", "N", self.go, "review_next"),
                    ("Previous Track to Review", "Shift+N", lambda: self.go(backwards=True), "review_previous"),
                    ("Accept (Keep Masked)", "A", self.accept, "review_accept"),
                    ("Reject (False Detection)", "X", self.reject, "review_reject"),
                    ("Keep Visible\u2026", "V", self.keep_visible, "review_visible")]
            self._actions = []
            for text, keys, slot, name in spec:
                action = QAction(text, self)
                action.setShortcut(QKeySequence(keys))
                action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
                action.setObjectName(name)
                action.triggered.connect(lambda _checked=False, s=slot: s())
                self._actions.append(action)
        return list(self._actions)
