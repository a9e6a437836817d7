"""The event fold: SIU/SRM messages in file order → the final state of each appointment.

* SIU S12 books (a new snapshot: fields from earlier messages are dropped, so cancel-then-rebook
  and reuse of an id after S17 start clean). S13 (reschedule) makes it booked again, S14 and the
  resource events S18–S24 modify; S15 cancelled, S16 discontinued, S17 deleted, S26 no-show.
  Updates merge field by field: a value replaces, an explicit ``""`` clears, an empty field
  keeps the old value (HL7 v2.5 §2.5.3).
* SRM is a request: it never books. Once a SIU booked the appointment, SRM is ignored; an
  appointment seen only in SRM is not loaded (``request-only``).
* An appointment no SIU S12 ever booked is not loaded (``update-without-booking``) if any SIU
  touched it, else ``request-only`` — unless ``updates_book`` is set (``[source]
  hl7_updates_book = true``): then the first SIU update of an unknown id books it (an upsert,
  for dumps that start mid-stream) and its status (e.g. S15 cancelled) decides as usual.
* Keys: the filler id (SCH-2 / ARQ-2) wins; the placer id (SCH-1 / ARQ-1) links messages only
  while the appointment has no filler id yet, so a reused placer id cannot merge two bookings.
  The namespace (EI.2) is part of the key.
* A message whose MSH-7 is earlier than the previous one applied to the same appointment is
  counted in ``out_of_order`` (file order still decides, as the brief requires).

The fold itself needs only the header (``header``: MSH-7/9/10, SCH-1/2 or ARQ-1/2). Field
values are extracted afterwards, by ``final_fields``, and only for appointments that are
loaded: each appointment keeps the messages applied since its last booking, and their field
maps are merged in file order, exactly as if merged while folding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cer_loader.ingest.hl7v2.field_map import FieldPlan, extract
from cer_loader.ingest.hl7v2.tokens import NULL, Got, Message

ACTIONS = {
    "S12": ("new", "booked"),
    "S13": ("update", "booked"),
    "S14": ("update", None),
    "S15": ("update", "cancelled"),
    "S16": ("update", "discontinued"),
    "S17": ("update", "deleted"),
    "S26": ("update", "no-show"),
    **{f"S{n}": ("update", None) for n in range(18, 25)},
}
SRM_TRIGGERS = {f"S{n:02d}" for n in range(1, 12)}
NOT_LOADED_COLUMNS = ["appointment_id", "reason", "message_index", "control_id", "event"]


@dataclass(slots=True)
class Event:
    index: int  # 1-based position of the message in the file
    control_id: str
    event: str  # "SIU^S12"
    kind: str  # "siu" | "srm" | "other" | "unparseable" | "refused" (not decoded)
    action: str = ""  # "new" | "update" | "request"
    status: str | None = None
    sender: str = ""  # MSH-3|MSH-4 raw: with the control id, the duplicate-delivery key
    when: str = ""  # MSH-7 digits, for the out-of-order check
    filler: tuple[str, str] | None = None  # (namespace, id)
    placer: tuple[str, str] | None = None
    id_source: str = ""
    text: str = ""  # the decoded message, kept for ``final_fields`` (SIU/SRM only)
    codec: str = ""
    reason: str = ""  # the not-loaded reason of a refused message (``too-large``, ...)


def header(msg: Message, index: int) -> Event:
    """MSH-9/10/7 and the appointment ids of one message (fields are added by the caller)."""
    msh = msg.fields(0) if msg.segments else []
    if len(msh) < 11:
        msh += [""] * (11 - len(msh))
    control = msh[10].strip()
    control = "" if control == NULL else control
    sender = f"{msh[3]}|{msh[4]}"
    if msg.broken:
        return Event(index, control, "", "unparseable", sender=sender)
    msh9 = [c.strip().upper() for c in msh[9].split(msg.delims.component)] + ["", ""]
    mtype, trigger, structure = msh9[:3]
    if not trigger and "_" in structure:
        trigger = structure.split("_", 1)[1]
    event = f"{mtype}^{trigger}" if trigger else mtype
    if not mtype or mtype == NULL:
        return Event(index, control, event, "unparseable", sender=sender)
    when = msh[7]
    if not (msg.plain and when.isdigit()):  # digits only: nothing to cut off
        when = when.split("+")[0].split("-")[0].split(".")[0].split(msg.delims.component)[0]
        when = when if when.isdigit() else ""
    ev = Event(index, control, event, "other", when=when, sender=sender)
    if mtype == "SIU" and trigger in ACTIONS:
        ev.kind = "siu"
        ev.action, ev.status = ACTIONS[trigger]
        sch = msg.seg("SCH")
        ev.filler, ev.placer = _ei(msg, sch, 2), _ei(msg, sch, 1)
    elif mtype == "SRM" and trigger in SRM_TRIGGERS:
        ev.kind, ev.action = "srm", "request"
        arq = msg.seg("ARQ")
        ev.filler, ev.placer = _ei(msg, arq, 2), _ei(msg, arq, 1)
    seg = "SCH" if ev.kind == "siu" else "ARQ"
    ev.id_source = f"{seg}-2" if ev.filler else f"{seg}-1" if ev.placer else ""
    return ev


def _ei(msg: Message, seg: list[str] | tuple[str, ...], field_no: int) -> tuple[str, str] | None:
    """(namespace EI.2, id EI.1) of the first repetition of a field of ``seg``'s fields."""
    raw = seg[field_no] if field_no < len(seg) else ""
    if not raw or raw == NULL:
        return None
    cs = msg.comps(msg.reps(raw)[0])
    ident = msg.leaf(cs, 1)
    return (msg.leaf(cs, 2), ident) if ident else None


@dataclass(slots=True)
class Appointment:
    appointment_id: str = ""
    id_source: str = ""
    has_filler: bool = False
    updates: list[Event] = field(default_factory=list)  # applied since the last booking (S12)
    status: str = "booked"
    booked: bool = False
    siu_update: bool = False
    last: Event | None = None
    when: str = ""
    first: int = 0  # the number of the message that made it: its place among appointments

    def release(self) -> None:
        """Drop the kept message texts once ``final_fields`` has read them."""
        for ev in self.updates:
            ev.text = ""
        self.updates = []


@dataclass
class Fold:
    appointments: list[Appointment] = field(default_factory=list)
    others: list[Event] = field(default_factory=list)  # not-scheduling and unparseable messages
    out_of_order: int = 0
    updates_book: bool = False  # an SIU update for an id never booked books it (upsert)
    _keys: dict[tuple[str, str, str], Appointment] = field(default_factory=dict)

    def apply(self, ev: Event) -> None:
        if ev.kind in ("other", "unparseable", "refused"):
            self.others.append(ev)
            return
        appt = self._find(ev)
        if ev.kind == "srm" and appt.booked:
            return  # a request never overrides what the filler booked
        if appt.when and ev.when and len(ev.when) >= 12 and ev.when[:14] < appt.when[:14]:
            self.out_of_order += 1
        if ev.when:
            appt.when = ev.when
        upsert = self.updates_book and ev.kind == "siu" and not appt.booked
        if ev.action == "new" or upsert:
            appt.updates = [ev]  # a booking is a new snapshot: earlier fields are dropped
            appt.booked = True
        else:
            appt.updates.append(ev)
            if ev.kind == "siu":
                appt.siu_update = True
        if ev.status:
            appt.status = ev.status
        appt.last = ev

    def _find(self, ev: Event) -> Appointment:
        fkey = ("F", *ev.filler) if ev.filler else None
        pkey = ("P", *ev.placer) if ev.placer else None
        appt = self._keys.get(fkey) if fkey else None
        if appt is None and pkey:
            cand = self._keys.get(pkey)
            if cand is not None and not (fkey and cand.has_filler):
                appt = cand
        if appt is None:
            appt = Appointment(first=ev.index)
            self.appointments.append(appt)
        if fkey and ev.filler:
            self._keys[fkey] = appt
            appt.has_filler = True
            appt.appointment_id, appt.id_source = ev.filler[1], ev.id_source
        elif not appt.appointment_id and ev.placer:
            appt.appointment_id, appt.id_source = ev.placer[1], ev.id_source
        if pkey:
            self._keys.setdefault(pkey, appt)
        return appt


def general(ev: Event, plan: FieldPlan) -> dict[str, Got]:
    """The field map of one kept message through ``Message`` (any message)."""
    return extract(Message(ev.text, ev.codec), plan)


def final_fields(
    appt: Appointment,
    plan: FieldPlan,
    read: Callable[[Event, FieldPlan], dict[str, Got]] = general,
) -> dict[str, tuple[str, str, int]]:
    """``{field: (value, source, message index)}`` merged over the appointment's updates,
    each message's fields read by ``read`` (``general``, or the reader's fast path).

    A later value replaces, an explicit ``""`` clears (``source + ":null"``), an empty field keeps.
    """
    out: dict[str, tuple[str, str, int]] = {}
    for ev in appt.updates:
        index = ev.index
        for name, (value, source) in read(ev, plan).items():
            if value == NULL:
                out[name] = ("", source + ":null", index)
            else:
                out[name] = (value, source, index)
    return out


def reason(appt: Appointment) -> str:
    """The not-loaded reason code, or "" when the appointment is loaded."""
    if not appt.booked:
        return "update-without-booking" if appt.siu_update else "request-only"
    return "" if appt.status == "booked" else appt.status
