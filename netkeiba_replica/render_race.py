# ruff: noqa: E501 - HTML templates keep the real pages' long lines
"""race.netkeiba.com renderers: the race card (``shutuba.html``) and the day's
race list fragment (``race_list_sub.html``).

Modelled on the saved real card: ``Shutuba_Table`` with its two-row header,
``tr.HorseList`` rows each followed by the hidden note modals (real cards put
those ``div``s between the rows), horse links to db.netkeiba without the
trailing slash, jockey and trainer short names, odds ``---.-`` and popularity
``**`` before betting opens.
"""

from __future__ import annotations

import datetime as dt
import re

from forecast_keiba.netkeiba import vocab
from forecast_keiba.netkeiba.model import Entry, RaceCardPage, RaceListPage
from forecast_keiba.netkeiba.race_id import JRA_VENUES
from forecast_keiba.netkeiba.urls import SiteUrls
from netkeiba_replica import _chrome
from netkeiba_replica.context import DayContext, RaceContext
from netkeiba_replica.markup import DIRECTION_TEXT, SEX_MARK, escaped

_MARK = {3: "▲", 2: "△", 1: "☆"}
_WEEKDAY = "月火水木金土日"
_GRADE_ICON = {"G1": 1, "G2": 2, "G3": 3, "L": 15}
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_MARKS = ("--", "◎", "◯", "▲", "△", "☆", "消")


def render_race_card(
    page: RaceCardPage, ctx: RaceContext | None = None, urls: SiteUrls | None = None
) -> str:
    """race.netkeiba ``/race/shutuba.html?race_id=``."""
    ctx = ctx or RaceContext()
    urls = urls or SiteUrls()
    race = page.race
    rid = race.race_id
    venue_name = ctx.venue_name or JRA_VENUES.get(race.venue_code or rid[4:6], "")
    number = race.race_number or int(rid[10:])
    day = race.date or dt.date(int(rid[:4]), 1, 1)
    title = (
        f"{escaped(race.name).translate(_FULLWIDTH)} 出馬表 | {day.year}年{day.month}月{day.day}日 "
        f"{venue_name}{number}R レース情報(JRA) - netkeiba"
    )
    canonical = f"{urls.race_base.rstrip('/')}/race/shutuba.html?race_id={rid}"
    description = f"{day.year}年{day.month}月{day.day}日 {venue_name}{number}R {escaped(race.name)}の出馬表です。"
    siblings = ctx.meeting_race_ids or (rid,)
    nums = "".join(
        f'<li class="{"Active" if r == rid else ""}">\n<a href="?race_id={r}" title="">\n{int(r[10:])}R\n</a>\n</li>'
        for r in siblings
    )
    kaisai = "".join(
        f'<li{" class=" + chr(34) + "Active" + chr(34) if n == venue_name else ""}><a href="?race_id={r}">{escaped(n)}</a></li>\n'
        for n, r in (ctx.day_meetings or ((venue_name, rid),))
    )
    grade = ""
    if ctx.grade:
        grade = f'<span class="Icon_GradeType Icon_GradeType{_GRADE_ICON[ctx.grade]}"></span>'
    surface = vocab.label(vocab.SURFACE, race.surface) if race.surface else ""
    direction = f" ({DIRECTION_TEXT[race.direction]})" if race.direction else ""
    data01 = (
        f'{race.start_time or ""}発走 /<!-- <span class="Turf"> --><span> {surface}{race.distance_m}m</span>'
        f"{direction}\n"
    )
    if race.weather:
        data01 += f'/ 天候:{vocab.label(vocab.WEATHER, race.weather)}<span class="Icon_Weather Weather01"></span>\n'
    if race.going:
        data01 += f'\n<span class="Item04">/ 馬場:{vocab.label(vocab.GOING, race.going)}</span>\n'
    age_text = ctx.class_label.removeprefix("障害")
    rows = "".join(_card_row(e, k, rid, ctx, urls) for k, e in enumerate(page.entries, start=1))
    ymd = f"{day:%Y%m%d}"
    dates = f'<dd class="Active"><a href="../top/race_list.html?kaisai_date={ymd}#racelist_top_a" title="{day.month}月{day.day}日({_WEEKDAY[day.weekday()]})">{day.month}月{day.day}日<span class="{"Sat" if day.weekday() == 5 else "Sun"}">({_WEEKDAY[day.weekday()]})</span></a></dd>'
    return (
        _chrome.race_head(title, canonical, description)
        + f"""<!-- block=shutuba__race_title (cp) -->
<div class="RaceChange_BtnArea">
<div class="RaceList_Date clearfix">
<dl id="RaceList_DateList">
{dates}
</dl>
</div><!-- /.RaceDayWrap -->
</div>
<div class="RaceColumn01">
<div class="RaceColumnWrap fc">
<div class="RaceMainColumn">
<div class="RaceKaisaiWrap">
<ul class="Col Col2">
{kaisai}</ul>
</div>
<!-- /.RaceKaisaiWrap -->
<div class="RaceNumWrap">
<ul class="fc">
{nums}
</ul>
</div><!-- /.RaceNumWrap -->
<!-- block=shutuba__race_main_column (cp) -->
<div class="RaceList_NameBox">
<div class="RaceList_Item01">
<span class="RaceNum">
<span class="MyRace_Item MyRace-Item-{rid}"></span>
{number}R
</span>
</div><!-- /.RaceList_Item01 -->
<div class="RaceList_Item02">
<h1 class="RaceName">{escaped(race.name)}{grade}

</h1>
<div class="RaceData01">
{data01}</div>
<div class="RaceData02">
<span>{ctx.kai}回</span>
<span>{venue_name}</span>
<span>{ctx.nichi}日目</span>
<span>サラ系{_age_part(age_text).translate(_FULLWIDTH)}</span>
<span>{escaped(ctx.class_label)}</span>
&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;
<span>{ctx.conditions}</span>
<span>{len(page.entries)}頭</span>
<br>
<span>本賞金:510,200,130,77,51万円</span>
</div>
</div><!-- /.RaceList_Item02 -->
<div class="RaceList_Item03">
<div class="Refundlink">
<a href="../top/payback_list.html?kaisai_date={ymd}" class="LinkMore">{venue_name} 払戻一覧</a>
</div>
</div><!-- /.RaceList_Item03 -->
</div><!-- /.RaceList_NameBox -->
</div><!-- /.RaceMainColumn -->
</div><!-- /.RaceColumnWrap -->
</div><!-- /.RaceColumn01 -->
<div class="RaceColumn02">
<div class="RaceMenuArea">
<ul class="RaceMainMenu">
<li id="navi_shutuba" class="race_navi_shutuba"><a href="../race/shutuba.html?race_id={rid}&rf=race_submenu" class="Active" title="出馬表">出馬表</a></li>
<li id="navi_odds_view" class="race_navi_odds"><a href="../odds/index.html?race_id={rid}&rf=race_submenu" title="オッズ・購入">オッズ・購入</a></li>
<li class="race_navi_result"><a href="../race/result.html?race_id={rid}&rf=race_submenu" title="結果・払戻">結果・払戻</a></li>
</ul>
</div><!-- /.RaceMenuArea -->
<script type="text/javascript">
var _shutuba_race_id = '{rid}';
var _race_cookie_domain_ = '.netkeiba.com';
</script>
<div class="RaceTableArea">
<table class="Shutuba_Table RaceTable01 ShutubaTable">
<thead>
<tr class="Header">
<th rowspan="2" class="Waku">枠</th>
<th rowspan="2" class="Umaban sort_common"><div class="Inner_Shutuba">馬<br>番<span class="sort_icon"></span></div></th>
<th rowspan="2" class="CheckMark">印</th>
<th rowspan="2" class="HorseInfo sort_common " id="sort_cell_name">
<div class="Inner_Shutuba">
<span class="HorseName">馬名</span><span class="sort_icon"></span>
</div>
</th>
<th rowspan="2" class="Barei">性齢</th>
<th rowspan="2" class="Dredging sort_common "><div class="Inner_Shutuba">斤量<span class="sort_icon"></span></div></th>
<th rowspan="2" class="Jockey">騎手</th>
<th rowspan="2" class="Trainer">厩舎</th>
<th rowspan="2" class="Weight sort_common " id="sort_cell_weight"><div class="Inner_Shutuba">馬体重<br/><small>(増減)</small><span class="sort_icon"></span></div></th>
<th rowspan="2" class="Popular" id="sort_cell_odds">
<div id="odds_update_info" class="Tooltip_OddsUpLimit_Wrap">
<span id="odds_title"></span>
</div></th>
<th rowspan="2" class="Popular Popular_Ninki Txt_C sort_common " id="sort_cell_ninki"><div class="Inner_Shutuba">人気<span class="sort_icon"></span></div></th>
<th colspan="2" class="FavHorse"><a href="https://db.netkeiba.com/bookmark/horse_bookmark_list.html">お気に入り馬</a></th>
<th rowspan="2" class="Memo Note0">馬メモ</th>
</tr>
<tr class="Header FavHorseSub">
<th class="FavRegist">登録</th>
<th class="FavGroup">グループ</th>
</tr>
</thead>
{rows}
</tbody>
</table>
<div class="ShutubaTableFormWrap clearfix">
<form id="shutuba_form" method="get" action="" class="Contents_Box">
<input type="hidden" name="race_id" value="{rid}">
</form><!-- /.shutuba_form -->
</div>
</div><!-- /.RaceTableArea -->
</div><!-- /.RaceColumn02 -->
"""
        + _chrome.footer()
    )


def _age_part(label: str) -> str:
    match = re.match(r"\d歳(以上)?", label)
    return match.group(0) if match else ""


def _card_row(e: Entry, k: int, rid: str, ctx: RaceContext, urls: SiteUrls) -> str:
    db = urls.db_base.rstrip("/")
    br = e.bracket or ""
    num = e.horse_number or ""
    east = ctx.trainer_east.get(e.trainer_id or "", True)
    mark = _MARK.get(ctx.allowance.get(e.jockey_id or "", 0), "")
    options = "".join(
        f'<option data-html-text="{m}" value="{num}_{i}">{m}</option>' for i, m in enumerate(_MARKS)
    )
    if e.body_weight is not None:
        weight = (
            f"{e.body_weight}<small>({e.body_weight_diff:+d})</small>"
            if e.body_weight_diff
            else f"{e.body_weight}<small>(0)</small>"
        )
    else:
        weight = ""
    odds = f"{e.win_odds:.1f}" if e.win_odds is not None else "---.-"
    pop = str(e.popularity) if e.popularity is not None else "**"
    return f"""<tr class="HorseList" id="tr_{k}">
<td class="Waku{br} Txt_C"><span>{br}</span></td>
<td class="Umaban{br} Txt_C">{num}</td>
<td class="CheckMark Horse_Select">

<select class="makeMeFancy_{k}" name="{k}" id="mark_{k}" style="display: none;">
{options}
</select>
</td>
<td class="HorseInfo">
<div>
<div>
 <span class="HorseName"><a href="{db}/horse/{e.horse_id}" target="_blank" title="{escaped(e.horse_name)}">{escaped(e.horse_name)}<img id="myhorse_{e.horse_id}" class="disp_none Favorite" src="https://cdn.netkeiba.com/img.race/common/img/icon/icon_horse.png?2019073001" alt="" width="18"></a></span>
</div>
</div>
</td>
<td class="Barei Txt_C">{SEX_MARK.get(e.sex or "", "")}{e.age if e.age is not None else ""}</td>
<td class="Txt_C">{"" if e.weight_carried is None else f"{e.weight_carried:.1f}"}</td>
<td class="Jockey">
<a  href="{db}/jockey/result/recent/{e.jockey_id}/" target="_blank" title="{escaped(e.jockey_name or "")}">{mark}{escaped(e.jockey_name or "")}</a>


</td>
<td class="Trainer"><span class="Label{1 if east else 2}">{"美浦" if east else "栗東"}</span><a href="{db}/trainer/result/recent/{e.trainer_id}/" target="_blank" title="{escaped(e.trainer_name or "")}">{escaped(e.trainer_name or "")}</a></td>
<td class="Weight">
{weight}
</td>
<td class="Txt_R Popular"><span id="odds-1_{num:02d}" style="font-weight : bold">{odds}</span></td>
<td class="Popular Popular_Ninki Txt_C">
<span id="ninki-1_{num:02d}">{pop}</span>
</td>
<td class="FavRegist Txt_C">
<a href="https://db.sp.netkeiba.com?pid=horse_bookmark_add&horse_id={e.horse_id}" title="お気に入り馬登録" class="popup_link_04 cboxElement cboxElement_Nologin"></a>
</td>
<td class="FavMemo"><div><a href="../popup/horse_bookmark.html?ketto_num={e.horse_id}&race_id={rid}" id="Bamei_{e.horse_id}" title="" class="popup_link_04 cboxElement"></a></div></td>
<td id="note0_{e.horse_id}" class="Note0"><a class="Note_Inner" href="javascript:void(0);"><span class="Note_Text"></span><span class="NoteIcon">編集</span></a></td>
</tr>

<div id="EditHorseModal-{e.horse_id}" class="BetAddInputModal MocModal01">
<div class="ModalPopupInner01">
<div class="AddIframe">
<div id="NoteForm" style="" class="NoteForm_Cont">
<div class="Title_Sec">
<h2>馬メモ</h2>
</div>
<div class="NoteCheck_Inner SelectedHorse">
<input type="checkbox" name="KettoNum" value="{e.horse_id}" id="checkbox{e.horse_id}" class="NoteCheck" checked="checked" disabled="disabled">
<label for="checkbox{e.horse_id}" class="bk01 NoteCheck_Label">{escaped(e.horse_name)}</label>
</div>
<div class="NoteTextarea_Inner">
<textarea id="Note" class="NoteTextarea" rows="6" placeholder="全角100文字以内で入力してください"></textarea>
</div>
</div>
</div><!-- /.AddIframe -->
</div><!-- /.ModalPopupInner01 -->
<label for="trigger" class="ModalCloseBtn01">閉じる</label>
</div>"""


def render_race_list_sub(
    page: RaceListPage, ctx: DayContext | None = None, urls: SiteUrls | None = None
) -> str:
    """race.netkeiba ``/top/race_list_sub.html?kaisai_date=``: an HTML fragment (no
    ``<head>``, as on the live site) with one ``RaceList_Box`` per venue."""
    ctx = ctx or DayContext()
    known = {r.race_id for m in ctx.meetings for r in m.races}
    boxes = []
    for m in ctx.meetings:
        items = "".join(_list_item(r.race_id, r) for r in m.races if r.race_id in page.race_ids)
        boxes.append(f"""<dl class="RaceList_DataList">
<dt class="RaceList_DataHeader">
<div class="RaceList_DataHeader_Top">
<p class="RaceList_DataTitle"><small>{m.kai}回</small> {m.venue_name} <small>{m.nichi}日目</small></p>
</div>
</dt>
<dd class="RaceList_Data">
<ul>
{items}</ul>
</dd>
</dl>
""")
    loose = [r for r in page.race_ids if r not in known]
    if loose:
        items = "".join(_list_item(r, None) for r in loose)
        boxes.append(
            f'<dl class="RaceList_DataList">\n<dd class="RaceList_Data">\n<ul>\n{items}</ul>\n</dd>\n</dl>\n'
        )
    return f"""

<!-- block=race_list_sub (d) -->
<div class="RaceList_Box clearfix">
{"".join(boxes)}</div>
<script type="text/javascript">
var _kaisai_date = '{page.date:%Y%m%d}';
</script>
"""


def _list_item(rid: str, r) -> str:
    if r is None:
        content = f'<div class="Race_Num Race_Fixed"><span>{int(rid[10:])}R</span></div>'
    else:
        content = f"""<div class="Race_Num Race_Fixed"><span>{r.race_number}R</span></div>
<div class="RaceList_ItemContent">
<div class="RaceList_ItemTitle">
<span class="ItemTitle">{escaped(r.name)}</span>
</div>
<div class="RaceData">
<span class="RaceList_Itemtime">{r.start_time}</span>
<span class="RaceList_ItemLong {r.surface_class}">{r.course}</span>
<span class="RaceList_Itemnumber">{r.field_size}頭</span>
</div>
</div>"""
    return f"""<li class="RaceList_DataItem ">
<a href="../race/shutuba.html?race_id={rid}&rf=race_list" title="">
{content}
</a>
</li>
"""
