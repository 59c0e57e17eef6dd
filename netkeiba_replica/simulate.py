"""Running the world day by day: fields, strengths, results, odds.

Each racing day is one vectorised step over all of that day's entries: the
fields are drawn race by race (a horse runs once a day and then rests), then
strengths, true and public probabilities, the Plackett-Luce finishing order
(Gumbel noise on the strengths), statuses, margins, times, odds and body
weights are computed for the whole day at once. Rare events that reorder a
result (demotions, dead heats) are fixed up race by race afterwards.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from netkeiba_replica import conditions as cond
from netkeiba_replica.calendar import meetings_on
from netkeiba_replica.fields import FieldDrawing
from netkeiba_replica.population import Horses, People

MARGINS = (
    "ハナ",
    "アタマ",
    "クビ",
    "1/2",
    "3/4",
    "1",
    "1.1/4",
    "1.1/2",
    "1.3/4",
    "2",
    "2.1/2",
    "3",
    "3.1/2",
    "4",
    "5",
    "6",
    "7",
    "8",
    "9",
    "10",
    "大",
    "同着",
)
MARGIN_LENGTHS = np.array(
    [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8, 9, 10, 12]
)
DEAD_HEAT = len(MARGINS) - 1
SECONDS_PER_LENGTH = 0.17

# Entry statuses (codes of model.FinishStatus, in display order of their groups).
FINISHED, DEMOTED, PULLED_UP, DISQUALIFIED, EXCLUDED, SCRATCHED = range(6)
STATUS_CODES = ("finished", "demoted", "pulled_up", "disqualified", "excluded", "scratched")
_GROUP = np.array([0, 0, 1, 2, 3, 4])


@dataclass(frozen=True)
class Rates:
    """Per-entry or per-race probabilities of the rare events."""

    scratch: float = 0.0025
    exclude: float = 0.002
    pull_up: float = 0.003
    pull_up_jump: float = 0.06
    disqualify: float = 0.001  # per race
    demote: float = 0.004  # per race
    dead_heat_win: float = 0.004  # per race
    dead_heat_other: float = 0.012  # per race, at 4th or lower
    unmeasured_weight: float = 0.001  # 計不 among starters


RACE_COLUMNS = (
    ("date", np.int32),
    ("venue", np.int8),
    ("kai", np.int8),
    ("nichi", np.int8),
    ("number", np.int8),
    ("order", np.int8),
    ("surface", np.int8),
    ("direction", np.int8),
    ("distance", np.int16),
    ("weather", np.int8),
    ("going", np.int8),
    ("age_group", np.int8),
    ("level", np.int8),
    ("jump", bool),
    ("special", np.int16),
    ("fillies", bool),
    ("handicap", bool),
    ("start", np.int32),
    ("size", np.int8),
    ("upcoming", bool),
)
ENTRY_COLUMNS = (
    ("horse", np.int32),
    ("number", np.int8),
    ("bracket", np.int8),
    ("jockey", np.int16),
    ("weight10", np.int16),
    ("age", np.int8),
    ("status", np.int8),
    ("position", np.int8),
    ("time10", np.int16),
    ("margin", np.int8),
    ("odds10", np.int32),
    ("popularity", np.int8),
    ("body_weight", np.int16),
    ("body_diff", np.int16),
    ("p_true", np.float32),
    ("p_public", np.float32),
    ("cross_rank", np.int8),
    ("perf", np.float32),
    # The strength without the race-day noise: what a model knowing every latent trait
    # (horse, jockey, trainer, weight, conditions) could know before the off.
    ("strength_known", np.float32),
)


def bracket_numbers(n: int) -> np.ndarray:
    """JRA brackets 1-8 for horse numbers 1..n: the last brackets take the extra horses."""
    if n <= 8:
        return np.arange(1, n + 1)
    base, extra = divmod(n, 8)
    sizes = [base + (1 if b >= 8 - extra else 0) for b in range(8)]
    return np.repeat(np.arange(1, 9), sizes)


@dataclass(frozen=True)
class _DayCard:
    """A day's races with runners, laid out flat: one row per runner, ``seg`` its race."""

    day: dt.date
    races: dict[str, np.ndarray]
    field_horses: list[np.ndarray]
    sizes: np.ndarray
    seg: np.ndarray
    starts: np.ndarray
    horse: np.ndarray
    jockey: np.ndarray
    number: np.ndarray
    bracket: np.ndarray
    age: np.ndarray
    jump: np.ndarray

    @property
    def n_r(self) -> int:
        return int(self.sizes.size)

    @property
    def m(self) -> int:
        return int(self.horse.size)

    @classmethod
    def lay_out(
        cls,
        day: dt.date,
        race_rows: list[tuple],
        field_horses: list[np.ndarray],
        field_jockeys: list[np.ndarray],
        birth_year: np.ndarray,
    ) -> _DayCard | None:
        """The races that drew a field, flattened; ``None`` when none did."""
        sizes = np.array([f.size for f in field_horses])
        keep = sizes > 0
        race_rows = [r for r, k in zip(race_rows, keep, strict=True) if k]
        field_jockeys = [j for j, f in zip(field_jockeys, sizes, strict=True) if f]
        field_horses = [f for f in field_horses if f.size]
        sizes = sizes[keep]
        if not sizes.size:
            return None
        races = {
            k: np.array([r[i] for r in race_rows]) for i, (k, _) in enumerate(RACE_COLUMNS[:17])
        }
        seg = np.repeat(np.arange(sizes.size), sizes)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        horse = np.concatenate(field_horses)
        return cls(
            day=day,
            races=races,
            field_horses=field_horses,
            sizes=sizes,
            seg=seg,
            starts=starts,
            horse=horse,
            jockey=np.concatenate(field_jockeys),
            number=(np.arange(horse.size) - starts[seg] + 1).astype(np.int8),
            bracket=np.concatenate([bracket_numbers(int(s)) for s in sizes]).astype(np.int8),
            age=(day.year - birth_year[horse]).astype(np.int8),
            jump=races["jump"][seg],
        )


class Simulator(FieldDrawing):
    """Generates the race and entry tables of a world, one racing day at a time."""

    def __init__(
        self,
        rng,
        horses: Horses,
        people: People,
        races_per_day: int,
        rates: Rates,
        public_noise: float,
        jump_rate: float,
        stallions,
        jumper_share: float,
        target_active: int,
    ) -> None:
        self.rng = rng
        self.h = horses
        self.p = people
        self.rpd = races_per_day
        self.rates = rates
        self.public_noise = public_noise
        self.jump_rate = jump_rate
        self.stallions = stallions
        self.jumper_share = jumper_share
        self.target_active = target_active
        self.races: dict[str, list[np.ndarray]] = {k: [] for k, _ in RACE_COLUMNS}
        self.entries: dict[str, list[np.ndarray]] = {k: [] for k, _ in ENTRY_COLUMNS}
        self.n_entries = 0

    # -- population upkeep ------------------------------------------------------------
    def upkeep(self, day: dt.date) -> None:
        """Retire horses past their career, foal in newcomers to keep the pool full."""
        h, n = self.h, self.h.n
        age = day.year - h.birth_year[:n]
        maiden = h.wins[:n] == 0
        retire = h.active[:n] & (
            (age >= h.retire_age[:n])
            | (h.starts[:n] >= h.retire_after_starts[:n])
            | (maiden & (age >= 4))
            | (maiden & (age == 3) & (day.month >= 10) & ~h.jumper[:n])
        )
        h.active[:n] &= ~retire
        missing = self.target_active - int(h.active[:n].sum())
        if missing > 0:
            year = day.year - (2 if day.month >= 6 else 3)
            h.add(
                self.rng,
                missing,
                np.full(missing, year),
                day,
                self.p,
                self.stallions,
                self.jumper_share,
            )

    # -- one day -------------------------------------------------------------------
    def run_day(self, day: dt.date, upcoming: bool) -> None:
        self.upkeep(day)
        meetings = meetings_on(day, self.rpd)
        h, rng = self.h, self.rng
        n = h.n
        ordinal = day.toordinal()
        # Work on the active horses only (retired ones pile up over a long world).
        act = np.flatnonzero(h.active[:n])
        self.act = act
        self.view = {"jumper": h.jumper[act], "starts": h.starts[act], "sex": h.sex[act]}
        free = h.next_free[act] <= ordinal
        self.running_today = np.zeros(act.size, bool)
        age_all = (day.year - h.birth_year[act]).astype(np.int16)
        level_all = np.where(h.wins[act] == 0, cond.MAIDEN, 1 + np.minimum(h.wins[act], 4))
        jockey_venue = rng.choice(
            len(meetings),
            len(self.p.jockey_ids),
            p=np.array([m.n_races for m in meetings]) / self.rpd,
        )
        race_rows: list[tuple] = []
        field_horses: list[np.ndarray] = []
        field_jockeys: list[np.ndarray] = []
        for m_i, meeting in enumerate(meetings):
            weather = cond.pick_weather(rng, day.month)
            going = (cond.pick_going(rng, weather, False), cond.pick_going(rng, weather, True))
            jump_slot = -1
            if rng.random() < min(0.9, self.jump_rate * meeting.n_races):
                jump_slot = min(4, meeting.n_races)
            pool = np.flatnonzero(jockey_venue == m_i)
            for number in range(1, meeting.n_races + 1):
                row, field = self._draw_race(
                    day,
                    meeting,
                    number,
                    number == jump_slot,
                    weather,
                    going,
                    free,
                    age_all,
                    level_all,
                )
                free[field] = False
                self.running_today[field] = True
                race_rows.append(row)
                field = act[field]
                field_horses.append(field)
                field_jockeys.append(self._pick_jockeys(pool, field, row))
        self._resolve(day, upcoming, race_rows, field_horses, field_jockeys)

    # -- results ---------------------------------------------------------------------
    def _resolve(self, day, upcoming, race_rows, field_horses, field_jockeys) -> None:
        """The day's results, phase by phase as a race day unfolds: weights, strengths,
        scratchings, the market, the running, margins, rare reorderings, times, body
        weights; then the horses' careers move on and the rows are stored.

        The phases draw from the one generator in this order: same seed, same world."""
        card = _DayCard.lay_out(day, race_rows, field_horses, field_jockeys, self.h.birth_year)
        if card is None:
            return
        w = self._weights_carried(card)
        known = self._known_strengths(card, w)
        strength = known + self.rng.normal(0.0, 0.3, card.m)
        status = self._pre_race_statuses(card, upcoming)
        starter = status == FINISHED
        p_true, p_pub, perf, cross = self._market_and_running_order(card, strength, starter)
        odds10, pop = _odds_and_popularity(card, p_pub, starter)
        self._in_running_statuses(card, status, starter, cross, upcoming)
        finisher = status == FINISHED
        fin_rank = _segment_rank(np.where(finisher, cross, 10_000), card.seg, card.starts)
        position = np.where(finisher, fin_rank + 1, 0).astype(np.int16)
        order, gap, margin = self._margins(card, perf, finisher, fin_rank, position)
        self._rare_reorderings(card, status, position, margin, gap, finisher, upcoming)
        time10 = self._times(card, gap, order, status)
        diff, bw, weighed = self._body_weights(card, status, upcoming)
        self._careers_move_on(card, day, status, position, weighed, bw, upcoming)
        # Display order: finishers by position, then 中, 失, 除, 取 by horse number.
        key2 = np.where(_GROUP[status] == 0, position.astype(np.int32) * 100 + cross, card.number)
        disp = np.lexsort((key2, _GROUP[status], card.seg))
        self._store(
            card,
            upcoming,
            disp,
            {
                "horse": card.horse,
                "number": card.number,
                "bracket": card.bracket,
                "jockey": card.jockey,
                "weight10": np.round(w * 10).astype(np.int16),
                "age": card.age,
                "status": status,
                "position": position,
                "time10": time10,
                "margin": margin,
                "odds10": odds10,
                "popularity": pop,
                "body_weight": np.where(weighed, bw, 0),
                "body_diff": np.where(weighed, diff, 0),
                "p_true": p_true,
                "p_public": p_pub,
                "cross_rank": np.where(starter, cross, -1),
                "perf": np.where(np.isfinite(perf), perf, 0.0),
                "strength_known": known,
            },
        )

    def _weights_carried(self, card: _DayCard) -> np.ndarray:
        """Weight-for-age and sex, handicaps, apprentice allowances (kg)."""
        h, races, seg, age = self.h, card.races, card.seg, card.age
        filly = h.sex[card.horse] == 1
        ag = races["age_group"][seg]
        w = np.where(ag == cond.A2, 55.0, np.where(ag == cond.A3, 56.0, 57.0))
        w = np.where((ag == cond.A3UP) & (age == 3), 55.0 if card.day.month < 10 else 56.0, w)
        w = w - 2.0 * filly + (filly & (ag == cond.A2)) * 1.0
        hcap = races["handicap"][seg]
        field_mean = np.array([h.ability[f].mean() for f in card.field_horses])[seg]
        rel = h.ability[card.horse] - field_mean
        w = np.where(hcap, np.clip(np.round((54.0 + 2.2 * rel) * 2) / 2, 49.0, 59.5), w)
        w = np.where(card.jump, 60.0 - 2.0 * filly, w)
        allow = self.p.jockey_allowance[card.jockey]
        plain = (races["special"][seg] < 0) & (races["level"][seg] < cond.OPEN) & ~hcap & ~card.jump
        return w - np.where(plain, allow, 0)

    def _known_strengths(self, card: _DayCard, w: np.ndarray) -> np.ndarray:
        """The log-scale score, less the race-day noise (sd 0.3) that makes it the one
        whose softmax is the true win probability."""
        h, p, horse, jump = self.h, self.p, card.horse, card.jump
        dist = card.races["distance"][card.seg].astype(np.float32)
        fit_d = -5.0 * (np.log(dist) - h.log_pref_dist[horse]) ** 2
        fit_d = np.where(jump, 0.3 * fit_d, fit_d)
        surface = card.races["surface"][card.seg]
        fit_s = np.where(surface == 0, 0.5, np.where(surface == 1, -0.5, 0.0)) * h.turf_aff[horse]
        age_curve = -0.1 * (card.age - h.peak_age[horse]) ** 2
        return (
            1.25 * h.ability[horse]
            + age_curve
            + fit_d
            + fit_s
            + h.mud[horse] * card.races["going"][card.seg]
            + p.jockey_skill[card.jockey]
            + p.trainer_skill[h.trainer[horse]]
            - 0.06 * (w - 55.0)
        ).astype(np.float64)

    def _pre_race_statuses(self, card: _DayCard, upcoming: bool) -> np.ndarray:
        """Scratched and excluded horses do not start (at least five starters a race)."""
        rng, rates, m = self.rng, self.rates, card.m
        status = np.full(m, FINISHED, np.int8)
        if upcoming:
            rng.random(m)
            return status
        u = rng.random(m)
        status[u < rates.scratch] = SCRATCHED
        status[(u >= rates.scratch) & (u < rates.scratch + rates.exclude)] = EXCLUDED
        starters_per = np.bincount(card.seg, weights=(status == FINISHED), minlength=card.n_r)
        for r in np.flatnonzero(starters_per < 5):
            status[card.starts[r] : card.starts[r] + card.sizes[r]] = FINISHED
        return status

    def _market_and_running_order(
        self, card: _DayCard, strength: np.ndarray, starter: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """True and public win probabilities, each runner's performance and the order
        past the post (0 = first)."""
        rng, seg, starts, m = self.rng, card.seg, card.starts, card.m
        p_true = _segment_softmax(np.where(starter, strength, -np.inf), seg, starts)
        pub_score = 0.9 * strength + rng.normal(0.0, self.public_noise, m)
        p_pub = _segment_softmax(np.where(starter, pub_score, -np.inf), seg, starts)
        # A little money on every runner (the favourite-longshot bias): no 5000-1 shots.
        n_start = np.bincount(seg, weights=starter, minlength=card.n_r)[seg]
        p_pub = np.where(starter, 0.98 * p_pub + 0.02 / np.maximum(n_start, 1), 0.0)
        perf = np.where(starter, strength + rng.gumbel(size=m), -np.inf)
        cross = _segment_rank(-perf, seg, starts)
        return p_true, p_pub, perf, cross

    def _in_running_statuses(
        self,
        card: _DayCard,
        status: np.ndarray,
        starter: np.ndarray,
        cross: np.ndarray,
        upcoming: bool,
    ) -> None:
        """Pulled up / disqualified, only behind the first three, so the winner is always
        the Plackett-Luce winner and true_win_prob stays calibrated (in place)."""
        rng, rates = self.rng, self.rates
        u = rng.random(card.m)
        if upcoming:
            rng.random(card.n_r)
            return
        pull_rate = np.where(card.jump, rates.pull_up_jump, rates.pull_up)
        status[starter & (cross >= 3) & (u < pull_rate)] = PULLED_UP
        for r in np.flatnonzero(rng.random(card.n_r) < rates.disqualify):
            idx = np.flatnonzero((card.seg == r) & (status == FINISHED) & (cross >= 3))
            if idx.size:
                status[rng.choice(idx)] = DISQUALIFIED

    def _margins(
        self,
        card: _DayCard,
        perf: np.ndarray,
        finisher: np.ndarray,
        fin_rank: np.ndarray,
        position: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Lengths behind the previous finisher, from the performance gaps: (the
        finishing order, the gaps, the margin codes)."""
        rng, seg, m = self.rng, card.seg, card.m
        order = np.lexsort((fin_rank, ~finisher, seg))
        perf_sorted = np.where(np.isfinite(perf), perf, 0.0)[order]
        gap = np.zeros(m)
        same_race = np.r_[False, seg[order][1:] == seg[order][:-1]]
        both_fin = np.r_[False, finisher[order][1:] & finisher[order][:-1]]
        spread = 1.0 + 0.1 * fin_rank[order]
        raw = np.r_[0.0, perf_sorted[:-1] - perf_sorted[1:]]
        # Beaten horses are eased: a heavy tail of big gaps down the field.
        eased = (fin_rank[order] >= 5) & (rng.random(m) < 0.1)
        raw = raw + eased * rng.exponential(1.5, m)
        gap[order] = np.where(same_race & both_fin, 1.6 * raw * spread, 0.0)
        margin = np.where(finisher & (position > 1), _margin_code(gap), -1).astype(np.int8)
        return order, gap, margin

    def _rare_reorderings(
        self,
        card: _DayCard,
        status: np.ndarray,
        position: np.ndarray,
        margin: np.ndarray,
        gap: np.ndarray,
        finisher: np.ndarray,
        upcoming: bool,
    ) -> None:
        """Demotions and dead heats, race by race (in place)."""
        rng, rates = self.rng, self.rates
        u_r = rng.random((card.n_r, 3))
        if upcoming:
            return
        for r in range(card.n_r):
            s = np.arange(card.starts[r], card.starts[r] + card.sizes[r])
            fin = s[finisher[s]]
            nf = fin.size
            if u_r[r, 0] < rates.demote and nf >= 4:
                _demote(rng, s, status, position, margin, nf)
            elif u_r[r, 1] < rates.dead_heat_win and nf >= 3:
                second = fin[position[fin] == 2][0]
                position[second], margin[second], gap[second] = 1, DEAD_HEAT, 0.0
            elif u_r[r, 2] < rates.dead_heat_other and nf >= 6:
                k = int(rng.integers(5, nf + 1))
                tied = fin[position[fin] == k][0]
                position[tied], margin[tied], gap[tied] = k - 1, DEAD_HEAT, 0.0

    def _times(
        self, card: _DayCard, gap: np.ndarray, order: np.ndarray, status: np.ndarray
    ) -> np.ndarray:
        """The winner's time from speed, then lengths behind at 0.17 s a length (tenths)."""
        races, n_r = card.races, card.n_r
        young = races["age_group"] == cond.A2
        speed = np.array(
            [
                cond.winner_speed(
                    int(races["surface"][r]),
                    int(races["distance"][r]),
                    int(races["going"][r]),
                    int(races["level"][r]),
                    bool(young[r]),
                )
                for r in range(n_r)
            ]
        ) * np.exp(self.rng.normal(0, 0.006, n_r))
        win_time = races["distance"] / speed
        cum = np.zeros(card.m)
        cum[order] = _segment_cumsum(gap[order], card.seg[order], card.starts)
        t = win_time[card.seg] + cum * SECONDS_PER_LENGTH
        timed = (status == FINISHED) | (status == DEMOTED)
        return np.where(timed, np.floor(t * 10 + 1e-9), 0).astype(np.int16)

    def _body_weights(
        self, card: _DayCard, status: np.ndarray, upcoming: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A random walk per horse; scratched horses are not weighed (計不):
        (the change, the weight, whether weighed)."""
        rng, m = self.rng, card.m
        diff = 2 * np.round(rng.normal(0, 3.3, m)) + (rng.random(m) < 0.01) * rng.choice([-1, 1], m)
        debut = self.h.starts[card.horse] == 0
        diff = np.where(debut, 0, diff).astype(np.int16)
        bw = np.clip(self.h.body_weight[card.horse] + diff, 360, 600).astype(np.int16)
        weighed = (status != SCRATCHED) & (rng.random(m) >= self.rates.unmeasured_weight)
        if upcoming:
            weighed[:] = True
        return diff, bw, weighed

    def _careers_move_on(
        self,
        card: _DayCard,
        day: dt.date,
        status: np.ndarray,
        position: np.ndarray,
        weighed: np.ndarray,
        bw: np.ndarray,
        upcoming: bool,
    ) -> None:
        """The horses that ran: weight, starts, wins, rest until their next race. Results
        of upcoming days stay hidden and unapplied."""
        h, horse = self.h, card.horse
        rest = 13 + self.rng.gamma(2.0, 14.0, card.m).astype(np.int32)
        if upcoming:
            return
        ran = status != SCRATCHED
        h.body_weight[horse[weighed]] = bw[weighed]
        h.starts[horse[ran]] += 1
        h.wins[horse[ran & (position == 1)]] += 1
        h.next_free[horse] = day.toordinal() + np.where(ran, rest, 7)

    def _store(
        self, card: _DayCard, upcoming: bool, disp: np.ndarray, cols: dict[str, np.ndarray]
    ) -> None:
        """Append the day's races and its entries (in display order) to the tables."""
        for k, dtype in ENTRY_COLUMNS:
            self.entries[k].append(np.asarray(cols[k])[disp].astype(dtype))
        for k, dtype in RACE_COLUMNS[:17]:
            self.races[k].append(card.races[k].astype(dtype))
        self.races["start"].append((self.n_entries + card.starts).astype(np.int32))
        self.races["size"].append(card.sizes.astype(np.int8))
        self.races["upcoming"].append(np.full(card.n_r, upcoming))
        self.n_entries += card.m

    def tables(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        races = {
            k: np.concatenate(v) if v else np.zeros(0, t)
            for (k, t), v in zip(RACE_COLUMNS, self.races.values(), strict=True)
        }
        entries = {
            k: np.concatenate(v) if v else np.zeros(0, t)
            for (k, t), v in zip(ENTRY_COLUMNS, self.entries.values(), strict=True)
        }
        return races, entries


def _odds_and_popularity(
    card: _DayCard, p_pub: np.ndarray, starter: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Odds from the public estimate (20% takeout, truncated to 0.1), popularity ranks."""
    odds10 = np.where(starter, np.maximum(10, np.floor(8.0 / np.maximum(p_pub, 1e-9))), 0)
    odds10 = np.minimum(odds10, 99999).astype(np.int32)
    rank = _segment_rank(-np.where(starter, p_pub, -1.0), card.seg, card.starts)
    return odds10, np.where(starter, rank + 1, 0)


def _demote(rng, s, status, position, margin, n_fin) -> None:
    """Demote a horse placed 2nd-6th behind the next one to three finishers."""
    k = int(rng.integers(2, min(6, n_fin - 1) + 1))
    j = int(rng.integers(1, min(3, n_fin - k) + 1))
    victim = s[(position[s] == k) & (status[s] == FINISHED)]
    if not victim.size:
        return
    v = victim[0]
    moved = s[(position[s] > k) & (position[s] <= k + j)]
    position[moved] -= 1
    position[v] = k + j
    status[v] = DEMOTED
    margin[v] = -1


def _segment_softmax(x: np.ndarray, seg: np.ndarray, starts: np.ndarray) -> np.ndarray:
    mx = np.maximum.reduceat(x, starts)
    e = np.exp(x - mx[seg])
    z = np.add.reduceat(e, starts)
    return e / z[seg]


def _segment_rank(key: np.ndarray, seg: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """0-based rank of ``key`` (ascending) within each race segment."""
    order = np.lexsort((key, seg))
    rank = np.empty(key.size, np.int64)
    rank[order] = np.arange(key.size) - starts[seg[order]]
    return rank


def _segment_cumsum(x: np.ndarray, seg: np.ndarray, starts: np.ndarray) -> np.ndarray:
    c = np.cumsum(x)
    offset = np.r_[0.0, c][starts]
    return c - offset[seg]


def _margin_code(lengths: np.ndarray) -> np.ndarray:
    edges = (MARGIN_LENGTHS[:-1] + MARGIN_LENGTHS[1:]) / 2
    return np.searchsorted(edges, lengths)
