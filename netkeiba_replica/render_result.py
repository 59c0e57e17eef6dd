# ruff: noqa: E501 - HTML templates keep the real pages' long lines
"""db.netkeiba's race page ``/race/<id>/``: a race's result, or the HTTP-200 page
that says there is no such race (one frame, :func:`_db_race_frame`, for both).

Follows the saved real page (the ``diary_snap_cut`` blocks, ``p.smalltxt``,
``race_table_01``, ``pay_table_01``), with the site chrome abridged."""

from __future__ import annotations

from collections import defaultdict

from forecast_keiba.netkeiba import vocab
from forecast_keiba.netkeiba.model import (
    Entry,
    NoRacePage,
    Payout,
    RaceInfo,
    RaceResultPage,
)
from forecast_keiba.netkeiba.race_id import JRA_VENUES
from forecast_keiba.netkeiba.urls import SiteUrls
from netkeiba_replica import _chrome
from netkeiba_replica.context import RaceContext
from netkeiba_replica.markup import (
    DIRECTION_TEXT,
    PREMIUM_ICON,
    SEX_MARK,
    STATUS_CELL,
    date_jp,
    escaped,
    race_time,
    weight_text,
)

_GOING_SURFACE = {
    "turf": "芝",
    "dirt": "ダート",
    "jump_turf": "芝",
    "jump_dirt": "ダート",
    "jump_turf_dirt": "芝",
}
_PAY_CLASS = {
    "win": "tan",
    "place": "fuku",
    "bracket_quinella": "waku",
    "bracket_exacta": "wakutan",
    "quinella": "uren",
    "quinella_place": "wide",
    "exacta": "utan",
    "trio": "sanfuku",
    "trifecta": "santan",
}
_PAY_LABEL = {
    "win": "単勝",
    "place": "複勝",
    "bracket_quinella": "枠連",
    "bracket_exacta": "枠単",
    "quinella": "馬連",
    "quinella_place": "ワイド",
    "exacta": "馬単",
    "trio": "三連複",
    "trifecta": "三連単",
}
_ORDERED = {"exacta", "bracket_exacta", "trifecta"}
_FIRST_TABLE = ("win", "place", "bracket_quinella", "bracket_exacta", "quinella")
_SECOND_TABLE = ("quinella_place", "exacta", "trio", "trifecta")


def course_text(race: RaceInfo) -> str:
    """``芝右 外1600m`` / ``ダ左1400m`` / ``障芝3000m`` as on db result pages."""
    surface = vocab.label(vocab.SURFACE, race.surface) if race.surface else ""
    direction = DIRECTION_TEXT.get(race.direction or "", "")
    return f"{surface}{direction}{race.distance_m or ''}m"


def _body(e: Entry) -> str:
    if e.body_weight is None:
        return "計不"
    return (
        f"{e.body_weight}({e.body_weight_diff:+d})" if e.body_weight_diff else f"{e.body_weight}(0)"
    )


def _position_cell(e: Entry) -> str:
    if e.finish_status == "demoted":
        return f"{e.finish_position}(降)"
    if e.finish_position is not None:
        return str(e.finish_position)
    return STATUS_CELL.get(e.finish_status or "", "")


# -- the frame both db race pages share ---------------------------------------------------------
def _db_race_frame(
    title: str, rid: str, urls: SiteUrls, *, race_head: str, results: str, info_left: str,
    info_right: str,
) -> str:  # fmt: skip
    """A db.netkeiba race page around its four parts: the race head (name, course,
    conditions), the results table, and the two info columns below it (payouts, going,
    corners, laps). The no-race page is the same frame with empty parts."""
    return (
        _chrome.db_head(title, "db_race_detail")
        + _chrome.db_genre_menu("レース")
        + f"""<div id="contents" class="fc">
<div id="main">
<div class="netkeiba_toprace_block">
<div class="race_head">
<div class="race_head_inner">

{race_head}</div><!-- /.race_head_inner -->
</div><!-- /.race_head -->
</div><!-- /.netkeiba_toprace_block -->
</div><!-- /.main -->
<div id="side">
<div class="side_ad">

{_chrome.ad_slot("new_db_rectangle")}
</div>
</div><!-- / #side -->
</div><!-- / #contents -->

{_race_menu(rid, urls)}

<div class="race_result fc">
<div id="contents_liquid">

{results}</diary_snap>
{_diary_box(rid)}
</div><!-- //id="contents_liquid" -->
<div id="contents" class="fc">
<div class="result_info box_left">

{info_left}</div><!-- /.result_left -->
<div class="result_info box_right">
{info_right}</div><!-- /.result_right -->
<div class="main_ad">

{_chrome.ad_slot("adnet_nk_db_pic")}
</div><!-- /.main_ad -->
</div><!-- /#contents -->
</div><!-- /.race_result -->

"""
        + _chrome.footer()
    )


# -- db result page ---------------------------------------------------------------------------
def render_result_page(
    page: RaceResultPage, ctx: RaceContext | None = None, urls: SiteUrls | None = None
) -> str:
    """db.netkeiba ``/race/<id>/``."""
    ctx = ctx or RaceContext()
    race = page.race
    title = (
        f"{escaped(race.name)}｜{date_jp(race.date, pad=True)} | 競馬データベース - netkeiba.com"
    )
    return _db_race_frame(
        title,
        race.race_id,
        urls or SiteUrls(),
        race_head=_race_head(race, ctx),
        results=_results_table(page, ctx),
        info_left=_result_info(page, ctx),
        info_right="\n<!-- -->\n\n<!-- -->\n",
    )


def _race_head(race: RaceInfo, ctx: RaceContext) -> str:
    """The meeting's venues and races as tabs, then the race: name, course, weather,
    going, post time, class and conditions."""
    rid = race.race_id
    day = f"{race.date:%Y%m%d}" if race.date else ""
    venue = race.venue_code or rid[4:6]
    venue_name = ctx.venue_name or JRA_VENUES.get(venue, "")
    meetings = ctx.day_meetings or ((venue_name, rid),)
    place = "".join(
        f'<li><a href="/race/{r}/" {"class=" + chr(34) + "active" + chr(34) if n == venue_name else ""}>{escaped(n)}</a></li>'
        for n, r in meetings
    )
    siblings = ctx.meeting_race_ids or (rid,)
    nums = "".join(
        f'<li><a href="/race/{r}/" title="R" {"class=" + chr(34) + "active" + chr(34) if r == rid else ""}>{int(r[10:])}R</a></li>'
        for r in siblings
    )
    going_label = _GOING_SURFACE.get(race.surface or "", "芝")
    weather = vocab.label(vocab.WEATHER, race.weather) if race.weather else ""
    going = vocab.label(vocab.GOING, race.going) if race.going else ""
    racedata = (
        f"{course_text(race)}&nbsp;/&nbsp;天候 : {weather}&nbsp;/&nbsp;{going_label} : {going}"
        f"&nbsp;/&nbsp;発走 : {race.start_time or ''}"
    )
    smalltxt = (
        f"{date_jp(race.date)} {ctx.kai}回{venue_name}{ctx.nichi}日目 "
        f"{escaped(ctx.class_label or race.name)}&nbsp;&nbsp;{ctx.conditions}"
    )
    return f"""<ul class="race_place fc">
<!-- li><a href="/race/list/{day}/" class="active">{venue_name}</a></li -->
{place}
<li class="result_link"><a href="/race/list/{day}/">{date_jp(race.date, pad=True)}のレース結果</a></li>
</ul>
<div class="race_num fc">
<ul class="fc">
{nums}
</ul>
<p><a href="/race/sum/{venue}/{day}/">一覧</a></p>
<p><a href="/race/pay/{venue}/{day}/" title="の払戻一覧">払戻し</a></p>
</div><!-- /.race_num_ber -->

<diary_snap>
<div class="mainrace_data fc">
<div class="data_intro">
<dl class="racedata fc">
<dt>
{race.race_number or int(rid[10:])} R
</dt>
<dd>
<h1>{escaped(race.name)}</h1>
<p>
<diary_snap_cut>
<span>{racedata}</span><br />
<diary_snap_cut>

</diary_snap_cut>
</p>
</dd>
</dl>
<p class="smalltxt">{smalltxt}</p>
<diary_snap_cut>
<ul class="btn_link_list fc">
<li class="race_btn_MOVIE end">
<a href="/race/movie/{rid}"><img src="https://cdn.netkeiba.com/img.db//style/netkeiba.ja/image/race_btn_movie_on.png" alt="レース映像" class="imgover" /></a>
</li>
</ul>
</diary_snap_cut>
</div><!-- /.race_data_intro -->
</div><!-- /.race_data_intro -->
</diary_snap_cut>
<diary_snap_cut>
"""


def _results_table(page: RaceResultPage, ctx: RaceContext) -> str:
    """The ``race_table_01`` of every runner, in finishing order."""
    rid = page.race.race_id
    rows = "".join(_result_row(e, rid, ctx) for e in page.entries)
    return f"""<!-- a href="/?pid=info&mode=premium" -->
<!-- 映像・調教タイムなど<img src="{PREMIUM_ICON}" width="14" height="11" border="0" />マークの予想に役立つデータを見るには？ -->

<!-- </a> -->
</diary_snap_cut>
<table class="race_table_01 nk_tb_common" summary="レース結果" cellspacing="1" cellpadding="0">
{_RESULT_HEADER}
{rows}
</table>

"""


def _result_info(page: RaceResultPage, ctx: RaceContext) -> str:
    """The left info column: payouts, going, corner positions, lap times."""
    return f"""<diary_snap>
<dl class="pay_block">
<dt><h3>払い戻し</h3></dt>
<dd class="fc">
{_pay_table(page.payouts, _FIRST_TABLE)}
{_pay_table(page.payouts, _SECOND_TABLE)}
</dd>
</dl>
</diary_snap>
{_baba_table()}
{_corner_table(ctx)}
{_lap_table(ctx)}
"""


_RESULT_HEADER = f"""<tr class="txt_c">
<th nowrap="nowrap">着<br />順</th>
<th nowrap="nowrap">枠<br />番</th>
<th nowrap="nowrap">馬<br />番</th>
<th nowrap="nowrap">馬名</th>
<th nowrap="nowrap">性齢</th>
<th nowrap="nowrap">斤量</th>
<th nowrap="nowrap">騎手</th>
<th nowrap="nowrap">タイム</th>
<th nowrap="nowrap">着差</th>
<diary_snap_cut>
<th nowrap="nowrap">ﾀｲﾑ<br />指数<br /><img src="{PREMIUM_ICON}" width="16" height="16" /></th>
<th nowrap="nowrap">通過</th>
<th nowrap="nowrap">上り</th>
</diary_snap_cut>
<th nowrap="nowrap">単勝</th>
<th nowrap="nowrap">人<br />気</th>
<th nowrap="nowrap">馬体重</th>
<diary_snap_cut>
<th nowrap="nowrap">調教<br />ﾀｲﾑ<br /><img src="{PREMIUM_ICON}" width="16" height="16" /></th>
<th nowrap="nowrap">厩舎<br />ｺﾒﾝﾄ<br /><img src="{PREMIUM_ICON}" width="16" height="16" /></th>
<th nowrap="nowrap">備考<br /><img src="{PREMIUM_ICON}" width="16" height="16" /></th>
</diary_snap_cut>
<th nowrap="nowrap">調教師</th>
<diary_snap_cut>
<th nowrap="nowrap">馬主</th>
<th nowrap="nowrap">賞金<br />(万円)</th>
</diary_snap_cut>
</tr>
"""


def _rank_class(rank: int | None) -> str:
    return f"r{rank}ml" if rank is not None and rank <= 3 else "bml"


def _result_row(e: Entry, rid: str, ctx: RaceContext) -> str:
    east = ctx.trainer_east.get(e.trainer_id or "", True)
    owner_id, owner_name = ctx.owners.get(e.horse_id, ("", ""))
    sexage = f"{SEX_MARK.get(e.sex or '', '')}{e.age if e.age is not None else ''}"
    odds = f"{e.win_odds:.1f}" if e.win_odds is not None else "---"
    pop = str(e.popularity) if e.popularity is not None else ""
    owner = (
        f'<a href="/owner/result/recent/{owner_id}/" title="{escaped(owner_name)}">{escaped(owner_name)}</a>'
        if owner_id
        else ""
    )
    return f"""
<tr>
<td class="txt_r" nowrap="nowrap">{_position_cell(e)}</td>
<td class="w{e.bracket or ""}ml" align="right" nowrap="nowrap"><span>{e.bracket or ""}</span></td>
<td class="txt_r" nowrap="nowrap">{e.horse_number if e.horse_number is not None else ""}</td>
<td class="txt_l" nowrap="nowrap">
<a href="/horse/{e.horse_id}/" title="{escaped(e.horse_name)}" id="umalink_{rid}">{escaped(e.horse_name)}</a>

</td>
<td class="txt_c" nowrap="nowrap">{sexage}</td>
<td class="txt_c" nowrap="nowrap">{weight_text(e.weight_carried)}</td>
<td class="txt_l" nowrap="nowrap">
<a href="/jockey/result/recent/{e.jockey_id}/" title="{escaped(e.jockey_name or "")}">{escaped(e.jockey_name or "")}</a>

</td>
<td class="txt_r" nowrap="nowrap">{race_time(e.time_s)}</td>
<td class="txt_c" nowrap="nowrap">{escaped(e.margin or "")}</td>

<diary_snap_cut>
<td class="speed_index bml" nowrap="nowrap">
<div class="txt_c">
<a href="https://www.netkeiba.com/premium/?service=p13" id="a_monthly_goods_link_01" data-theme="07003">**</a>
</div>

</td>
<td nowrap="nowrap">{ctx.passing.get(e.horse_id, "")}</td>
<td class="{_rank_class(e.finish_position)}" class="txt_c" nowrap="nowrap"><span>{ctx.last3f.get(e.horse_id, "")}</span></td>
</diary_snap_cut>
<td class="txt_r" nowrap="nowrap">{odds}</td>
<td class="{_rank_class(e.popularity)}" align="right" nowrap="nowrap"><span>{pop}</span></td>
<td nowrap="nowrap">{_body(e)}</td>
<diary_snap_cut>
<td class="txt_c" nowrap="nowrap">
<a href="/?pid=horse_training&id={e.horse_id}&rid={rid}"><img src="/style/netkeiba.ja/image/ico_oikiri.gif" width="13" height="13" border="0" /></a>
</td>
<td class="txt_c" nowrap="nowrap">
<a href="/?pid=horse_comment&id={e.horse_id}&rid={rid}"><img src="/style/netkeiba.ja/image/ico_comment.gif" width="13" height="13" border="0" /></a>
</td>
<td nowrap="nowrap">


</td>
</diary_snap_cut>
<td class="txt_l" nowrap="nowrap">
[{"東" if east else "西"}]
<a href="/trainer/result/recent/{e.trainer_id}/" title="{escaped(e.trainer_name or "")}">{escaped(e.trainer_name or "")}</a>

</td>
<diary_snap_cut>
<td class="txt_l w{e.bracket or ""}ml" nowrap="nowrap">
{owner}

</td>
<td class="txt_r" nowrap="nowrap">{ctx.prize.get(e.horse_id, "")}</td>
</diary_snap_cut>
</tr>"""


def _race_menu(rid: str, urls: SiteUrls) -> str:
    base = urls.db_base.rstrip("/")
    return f"""<div class="race_deta_menu">
<ul class="main_menu fc">
<li class="race_navi_result"><a class="active" href="{base}/race/{rid}/">結果/払戻</a></li>
<li class="race_navi_bbs"><a  href="{base}//?pid=race_board&thread=race&id={rid}">掲示板</a></li>
</ul>
</div><!-- /.race_deta_menu -->"""


def _diary_box(rid: str) -> str:
    return f"""<script type="text/javascript" src="/style/netkeiba.ja/js/umalink.js"></script>
<div class="diary_snap_write_box">
<p><a href="/?pid=diary_snapshot&snap={rid}&meta=race_result" title="ひとこと日記を書く"><img src="https://cdn.netkeiba.com/img.db//style/netkeiba.ja/image/prof_btn_diary_write_01.png" class="imgover" /></a></p>
<p>※このレースについて、日記を書くことができます。</p>
</div><!-- /.diary_snap_write_box -->"""


def _pay_table(payouts: tuple[Payout, ...], bets: tuple[str, ...]) -> str:
    groups: dict[str, list[Payout]] = defaultdict(list)
    for p in payouts:
        groups[p.bet_type].append(p)
    rows = []
    for bet in bets:
        if bet not in groups:
            continue
        ps = groups[bet]
        sep = " → " if bet in _ORDERED else " - "
        combos = "<br />".join(sep.join(str(n) for n in p.combination) for p in ps)
        yen = "<br />".join(f"{p.payout_yen:,}" for p in ps)
        pops = "<br />".join("" if p.popularity is None else str(p.popularity) for p in ps)
        align = (
            ""
            if bet in ("win", "quinella_place", "exacta", "trio", "trifecta")
            else ' align="center"'
        )
        rows.append(
            f'<tr>\n<th class="{_PAY_CLASS[bet]}"{align}>{_PAY_LABEL[bet]}</th>\n<td>{combos}</td>\n'
            f'<td class="txt_r">{yen}</td>\n<td class="txt_r">{pops}</td>\n</tr>'
        )
    body = "\n".join(rows)
    return f'<table cellpadding="0" cellspacing="1" class="pay_table_01" summary="払い戻し">\n{body}\n</table>'


def _baba_table() -> str:
    return f"""<table width="100%" cellpadding="0" cellspacing="0" class="result_table_02" summary="馬場情報">
<caption>馬場情報</caption>
<tr>
<th>馬場指数<img src="{PREMIUM_ICON}" width="16" height="16" /></th>
<td>プレミアサービスにご加入して頂くと<a href="/?pid=info&mode=premium" id="a_monthly_goods_link_22" data-theme="07002">馬場指数</a>が確認できます。</td>
</tr>
<tr>
<th>馬場コメント<img src="{PREMIUM_ICON}" width="16" height="16" /></th>
<td>プレミアサービスにご加入して頂くと<a href="/?pid=info&mode=premium" id="a_monthly_goods_link_53" data-theme="07005">馬場コメント</a>が確認できます。</td>
</tr>
</table>
"""


def _corner_table(ctx: RaceContext) -> str:
    if not ctx.corners:
        return ""
    rows = "</tr><tr>\n".join(f"<th>{label}</th>\n<td>{text}</td>\n" for label, text in ctx.corners)
    return (
        '<table width="100%" cellpadding="0" cellspacing="0" class="result_table_02" '
        f'summary="コーナー通過順位">\n<caption>コーナー通過順位</caption>\n<tr>\n{rows}</tr>\n</table>\n'
    )


def _lap_table(ctx: RaceContext) -> str:
    if not ctx.laps:
        return ""
    laps = " - ".join(f"{x:.1f}" for x in ctx.laps)
    cum, acc = [], 0.0
    for x in ctx.laps:
        acc += x
        cum.append(f"{acc:.1f}")
    return f"""<table width="100%" cellpadding="0" cellspacing="0" class="result_table_02" summary="ラップタイム">
<caption>ラップタイム</caption>
<tr>
<th>ラップ</th>
<td class="race_lap_cell">{laps}</td>
</tr>
<tr>
<th>ペース</th>
<td class="race_lap_cell">{" - ".join(cum)}</td>
</tr>
</table>
"""


# -- the HTTP-200 "no race" page ----------------------------------------------------------------
def render_no_race_page(page: NoRacePage, urls: SiteUrls | None = None) -> str:
    """What db.netkeiba returns (status 200) for an id without a race."""
    return _db_race_frame(
        "｜年月日 | 競馬データベース - netkeiba.com",
        page.race_id or "",
        urls or SiteUrls(),
        race_head="",
        results="",
        info_left=_NO_RACE_GOING,
        info_right="<!-- -->\n",
    )


_NO_RACE_GOING = """<!-- -->
<table width="100%" cellpadding="0" cellspacing="0" class="result_table_02" summary="馬場情報">
<caption>馬場情報</caption>
<tr>
<!-- -->
</tr>
<tr>
<!-- -->
</tr>
</table>
"""
