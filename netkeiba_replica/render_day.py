# ruff: noqa: E501 - HTML templates keep the real pages' long lines
"""db.netkeiba's day list ``/race/list/YYYYMMDD/``: one ``race_table_01`` per venue,
with the side calendar of other race days as a look-alike set of links."""

from __future__ import annotations

import datetime as dt

from forecast_keiba.netkeiba.model import RaceListPage
from forecast_keiba.netkeiba.urls import SiteUrls
from netkeiba_replica import _chrome
from netkeiba_replica.context import DayContext
from netkeiba_replica.markup import PREMIUM_ICON, date_jp, escaped


def render_day_list(
    page: RaceListPage, ctx: DayContext | None = None, urls: SiteUrls | None = None
) -> str:
    """db.netkeiba ``/race/list/YYYYMMDD/``: one ``race_table_01`` per venue."""
    ctx = ctx or DayContext()
    day = page.date
    ymd = f"{day:%Y%m%d}"
    known = {r.race_id for m in ctx.meetings for r in m.races}
    blocks = []
    for m in ctx.meetings:
        rows = "".join(_day_row(r) for r in m.races if r.race_id in page.race_ids)
        blocks.append(f"""<div class="mb30">
<div class="race_summary_info">
<h3>{m.kai}回{m.venue_name}{m.nichi}日目</h3>
<ul class="Prev_Next">
<li><a href="/race/pay/{m.venue_code}/{ymd}/">ダイジェスト</a> | </li>
<li class="rev"><a href="/race/sum/{m.venue_code}/{ymd}/">&lt;&lt;前開催</a></li>
</ul>
</div>
<table cellpadding="0" cellspacing="1" class="race_table_01 nk_tb_common" summary="レース一覧">
<tr>
<th>　</th>
<th>レース名</th>
<th>映像<br /><img height="16" src="{PREMIUM_ICON}" width="16" /></th>
<th>勝ち馬(騎手)</th>
<th>2着馬(騎手)</th>
<th>3着馬(騎手)</th>
</tr>{rows}
</table>
</div>
""")
    loose = [r for r in page.race_ids if r not in known]
    if loose:  # rendered from a bare model: a minimal table with just the links
        rows = "".join(
            f'\n<tr>\n<td align="right" class="bml" width="20">{int(r[10:])}</td>\n'
            f'<td class="bml txt_l">\n<a href="/race/{r}/">{int(r[10:])}R</a>\n</td>\n</tr>'
            for r in loose
        )
        blocks.append(
            '<div class="mb30">\n<table cellpadding="0" cellspacing="1" class="race_table_01 nk_tb_common" '
            f'summary="レース一覧">\n<tr>\n<th>　</th>\n<th>レース名</th>\n</tr>{rows}\n</table>\n</div>\n'
        )
    kaisai = "".join(
        f'<dl class="fc">\n<dt>{m.venue_name}</dt>\n<dd>\n<a href="/race/sum/{m.venue_code}/{ymd}/">一覧</a>'
        f'  |  <a href="/race/pay/{m.venue_code}/{ymd}/">ダイジェスト</a>\n</dd>\n</dl>\n'
        for m in ctx.meetings
    )
    return (
        _chrome.db_head(
            f"{date_jp(day)}のレース情報 | 競馬データベース - netkeiba.com", "db_race_list"
        )
        + _chrome.db_genre_menu("レース")
        + f"""<div id="contents" class="fc">
<div id="main">
<div class="cate_bar">
<h2><a href="/race/list/{ymd}/">{date_jp(day)}</a>のレース情報</h2>
</div>
{"".join(blocks)}<div class="mb30">
<div data-cptid="1492793"></div>
</div>
</div>
<div id="side">
<div class="side_ad">
<div id="new_db_rectangle"></div>
</div>
{_calendar(day, ctx.month_racing_days)}
<div class="race_kaisai">
<h2><a href="/race/list/{ymd}/">中央</a> ( {day:%Y/%m/%d} )</h2>
{kaisai}</div>
</div>
</div><!-- / #contents -->
"""
        + _chrome.footer()
    )


def _day_row(r) -> str:
    placed = "".join(
        f'\n<td class="bml txt_l">\n<a href="/horse/{hid}/">{escaped(hname)}</a>\n<br />\n'
        f'<div align="right"> (<a href="/jockey/result/recent/{jid}/">{escaped(jname)}</a>) </div>\n</td>'
        for hid, hname, jid, jname in r.placed
    )
    placed += '\n<td class="bml txt_l">\n</td>' * (3 - len(r.placed))
    return f"""
<tr>
<td align="right" class="bml" width="20">{r.race_number}</td>
<td class="bml txt_l">
<a href="/race/{r.race_id}/">{escaped(r.name)}</a>
<br />
<div align="right">{r.course}&nbsp;&nbsp;{r.field_size}頭</div>
</td>
<td align="center" class="bml" width="20">
<a href="https://race.netkeiba.com/race/movie.html?race_id={r.race_id}"><img border="0" src="/style/netkeiba.ja/image/icon_douga.png" /></a>
</td>{placed}
</tr>"""


def _calendar(day: dt.date, racing: tuple[dt.date, ...]) -> str:
    """The side calendar: day links to other ``/race/list/`` pages (a look-alike)."""
    first = day.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    cells = ['<td class="no_day"> </td>'] * first.weekday()
    d = first
    while d < nxt:
        cls = ' class="sat"' if d.weekday() == 5 else ' class="sun"' if d.weekday() == 6 else ""
        if d == day:
            cls = ' class="selected"'
        cells.append(
            f'<td{cls}>\n<a href="/race/list/{d:%Y%m%d}/">{d.day}</a>\n</td>'
            if d in racing and d != day
            else f"<td{cls}>{d.day}</td>"
        )
        d += dt.timedelta(days=1)
    cells += ['<td class="no_day"> </td>'] * (-len(cells) % 7)
    weeks = "\n".join(
        "<tr>\n" + "\n".join(cells[i : i + 7]) + "\n</tr>" for i in range(0, len(cells), 7)
    )
    return f"""<div class="race_calendar">
<dl>
<dt class="fc"><span>{day.year}年 <strong>{day.month}月</strong></span></dt>
<dd>
<table border="0" cellpadding="0" cellspacing="3" summary="レーススケジュールカレンダー">
<tr>
<th>月</th><th>火</th><th>水</th><th>木</th><th>金</th><th class="sat">土</th><th class="sun">日</th>
</tr>
{weeks}
</table>
</dd>
</dl>
</div>"""
