"""What customers do inside a session: a Markov walk over shop pages, vectorised over sessions.

Customers loop (category → product → category), go back (cart → product), read the shipping-cost
page, check out or leave. Two planted effects live here, as parameters of the walk:

- (a) mobile checkout drop-off: a ``checkout_started`` ends in ``order_completed`` with the
  device's completion probability (mobile = desktop − gap);
- (b) shipping-cost abandonment: once a session has shown ``/versandkosten``, the probability to
  leave at every later page is multiplied by ``shipping_exit_multiplier``.

All sessions take their n-th step together, so the cost is one numpy pass per step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from journeykit.datasets.generator.catalog import DESKTOP, MOBILE, TABLET
from journeykit.datasets.generator.config import EffectsConfig
from journeykit.datasets.generator.personas import PERSONA_IDS, PERSONAS

I8 = npt.NDArray[np.int8]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

# States. LANDING … WISHLIST take a step; ORDER and EXIT end the session.
LANDING, CATEGORY, PRODUCT, CONTENT, SEARCH, CART, SHIPPING, CHECKOUT, WISHLIST = range(9)
ORDER, EXIT = 9, 10
TARGETS = np.array([CATEGORY, PRODUCT, CONTENT, SEARCH, CART, SHIPPING, CHECKOUT, WISHLIST, EXIT])
MAX_STEPS = 24

# Base transition weights: rows are the current state (LANDING … WISHLIST), columns the TARGETS.
_BASE = np.array(
    [
        # CAT   PROD  CONT  SRCH  CART  SHIP  CHECK WISH  EXIT
        [0.34, 0.26, 0.08, 0.05, 0.00, 0.02, 0.00, 0.00, 0.25],  # LANDING
        [0.12, 0.52, 0.03, 0.05, 0.00, 0.02, 0.00, 0.00, 0.26],  # CATEGORY
        [0.17, 0.22, 0.03, 0.03, 0.17, 0.04, 0.00, 0.04, 0.30],  # PRODUCT
        [0.22, 0.22, 0.18, 0.02, 0.00, 0.03, 0.00, 0.00, 0.33],  # CONTENT
        [0.10, 0.55, 0.00, 0.05, 0.00, 0.00, 0.00, 0.00, 0.30],  # SEARCH
        [0.06, 0.14, 0.00, 0.02, 0.00, 0.14, 0.40, 0.00, 0.24],  # CART
        [0.05, 0.10, 0.00, 0.00, 0.25, 0.00, 0.25, 0.00, 0.35],  # SHIPPING
        [0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 1.00],  # CHECKOUT (resolved apart)
        [0.20, 0.35, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.45],  # WISHLIST
    ]
)
# Intent tilts the targets: browsing sessions rarely buy, buying sessions rarely wander off.
_INTENT = np.array(
    [
        [1.0, 1.0, 1.2, 1.0, 0.25, 0.8, 0.5, 1.0, 1.35],  # browse
        [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],  # shop
        [0.8, 1.0, 0.5, 1.0, 2.5, 1.0, 1.6, 0.5, 0.6],  # buy
    ]
)
# Median seconds spent on a state before the next step (log-normal around it).
_DWELL = np.array([35, 40, 70, 110, 25, 45, 30, 150, 20, 20, 0], dtype=np.float64)
_MIN_DWELL = np.array([4, 4, 6, 8, 4, 6, 4, 60, 4, 4, 0], dtype=np.float64)
MAX_DWELL = 170.0


def transition_cdf(effects: EffectsConfig) -> F64:
    """CDFs over TARGETS per (persona, intent, shipping-seen, state): shape (P, 3, 2, 9, 9)."""
    table = np.empty((len(PERSONA_IDS), 3, 2, 9, len(TARGETS)))
    for p, pid in enumerate(PERSONA_IDS):
        persona = PERSONAS[pid]
        tilt = np.ones(len(TARGETS))
        tilt[2] = persona.content_affinity
        tilt[5] = persona.shipping_curiosity
        for intent in range(3):
            for seen in range(2):
                weights = _BASE * _INTENT[intent] * tilt
                if seen:
                    weights[1:, -1] *= effects.shipping_exit_multiplier
                table[p, intent, seen] = np.cumsum(
                    weights / weights.sum(axis=1, keepdims=True), axis=1
                )
    table[..., -1] = 1.0
    return table


def completion(effects: EffectsConfig) -> F64:
    """Checkout completion probability per device code (mobile, desktop, tablet)."""
    by_device = np.empty(3)
    by_device[MOBILE] = effects.checkout_completion_mobile
    by_device[DESKTOP] = effects.checkout_completion_desktop
    by_device[TABLET] = effects.checkout_completion_tablet
    return by_device


@dataclass
class Walk:
    """The steps of all sessions, sorted by session then step, and per-session outcomes."""

    session: I32  # session index of each step
    state: I8
    offset: I64  # seconds from the session start to the step
    ordered: B  # per session: reached ORDER
    shipping_seen: B  # per session: showed /versandkosten
    checkout: B  # per session: started a checkout
    duration: I64  # per session: seconds from start to the last step


def walk(
    rng: np.random.Generator,
    cdf: F64,
    complete: F64,
    persona: I64,
    intent: I8,
    device: I8,
    entry: I8,
) -> Walk:
    """Walk every session from its entry state until it orders, leaves or hits MAX_STEPS."""
    n = len(persona)
    state = entry.astype(np.int64)
    seen = np.zeros(n, dtype=bool)
    active = np.arange(n)
    steps_session: list[npt.NDArray[np.int64]] = []
    steps_state: list[npt.NDArray[np.int64]] = []
    step = 0
    while active.size and step <= MAX_STEPS:
        current = state[active]
        steps_session.append(active)
        steps_state.append(current)
        seen[active[current == SHIPPING]] = True
        nxt = _next_states(rng, cdf, complete, persona, intent, device, seen, active, current)
        if step >= MAX_STEPS - 1:
            nxt = np.where(nxt == ORDER, ORDER, EXIT)
        state[active] = nxt
        active = active[nxt != EXIT]
        step += 1
    session = np.concatenate(steps_session)
    states = np.concatenate(steps_state)
    order = np.argsort(session, kind="stable")  # stable: keeps step order within a session
    session, states = session[order], states[order]
    offset = _offsets(rng, session, states)
    last = np.r_[session[1:] != session[:-1], True]
    duration = np.zeros(n, dtype=np.int64)
    duration[session[last]] = offset[last]
    return Walk(
        session=session.astype(np.int32),
        state=states.astype(np.int8),
        offset=offset,
        ordered=np.isin(np.arange(n), session[states == ORDER]),
        shipping_seen=seen,
        checkout=np.isin(np.arange(n), session[states == CHECKOUT]),
        duration=duration,
    )


def _next_states(
    rng: np.random.Generator,
    cdf: F64,
    complete: F64,
    persona: I64,
    intent: I8,
    device: I8,
    seen: B,
    active: I64,
    current: I64,
) -> I64:
    u = rng.random(len(active))
    walking = current < ORDER
    nxt = np.full(len(active), EXIT, dtype=np.int64)
    rows = cdf[
        persona[active[walking]],
        intent[active[walking]],
        seen[active[walking]].astype(np.int64),
        current[walking],
    ]
    picked = (u[walking][:, None] > rows).sum(axis=1).clip(0, len(TARGETS) - 1)
    nxt[walking] = TARGETS[picked]
    at_checkout = current == CHECKOUT
    success = u[at_checkout] < complete[device[active[at_checkout]]]
    nxt[at_checkout] = np.where(success, ORDER, EXIT)
    return nxt


def _offsets(rng: np.random.Generator, session: I64, states: I64) -> I64:
    """Seconds from session start to each step: running sum of log-normal dwell times."""
    dwell = _DWELL[states] * rng.lognormal(0.0, 0.6, len(states))
    dwell = np.clip(dwell, _MIN_DWELL[states], MAX_DWELL).astype(np.int64)
    ends = np.cumsum(dwell)
    first = np.r_[True, session[1:] != session[:-1]]
    before = np.where(first, ends - dwell, 0)
    base = np.maximum.accumulate(np.where(first, before, 0))
    # arrival event at 0, landing 3 s later: steps start after a 3-second lead
    return (ends - dwell - base + 3).astype(np.int64)
