# ruff: noqa: E501 - HTML templates keep the real pages' long lines
"""db.netkeiba's horse page ``/horse/<id>/``: profile table, blood table and the
``db_h_race_results`` table of past races (most recent first)."""

from __future__ import annotations

from forecast_keiba.netkeiba.model import HorseProfilePage
from forecast_keiba.netkeiba.urls import SiteUrls
from netkeiba_replica import _chrome
from netkeiba_replica.context import HorseContext
from netkeiba_replica.markup import (
    SEX_MARK,
    STATUS_CELL,
    date_jp,
    escaped,
    race_time,
    weight_text,
)


def render_horse_profile(
    page: HorseProfilePage, ctx: HorseContext | None = None, urls: SiteUrls | None = None
) -> str:
    """db.netkeiba ``/horse/<id>/``: profile table, blood table, results table."""
    ctx = ctx or HorseContext()
    name = escaped(page.name)
    sex = SEX_MARK.get(page.sex or "", "")
    status = "現役" if ctx.active else "抹消"
    age = f"{ctx.age}歳" if ctx.active and ctx.age else ""
    birth = date_jp(page.birth_date)
    rows = ctx.rows
    wins = [r for r in rows if r.finish_position == 1]
    seconds = sum(r.finish_position == 2 for r in rows)
    thirds = sum(r.finish_position == 3 for r in rows)
    best = (
        f'<a href="/race/{wins[0].race_id}/" title="{escaped(wins[0].race_name)}">{escaped(wins[0].race_name)}</a>'
        if wins
        else ""
    )
    record = f'{len(rows)}戦{len(wins)}勝 [<a href="/horse/result/{page.horse_id}/" title="全競走成績">{len(wins)}-{seconds}-{thirds}-{len(rows) - len(wins) - seconds - thirds}</a>]'
    (ss_id, ss_name), (sd_id, sd_name) = ctx.sire_parents
    dd_id, dd_name = ctx.dam_dam
    result_rows = "".join(_horse_row(r, x) for r, x in zip(rows, ctx.row_extras, strict=False))
    if not rows:  # rendered from a bare model: one row per past race, other cells empty
        result_rows = "".join(
            f'\n<tr>\n{"<td></td>" * 3}\n<td class="txt_right">{int(r[10:])}</td>\n'
            f'<td class=""><a href="/race/{r}/">{int(r[10:])}R</a></td>\n{"<td></td>" * 23}\n</tr>'
            for r in page.past_race_ids
        )
    return (
        _chrome.db_head(
            f"{name} | 競走馬データ - netkeiba.com",
            "horse_detail",
            f"{name}の競走馬データです。競走成績、血統情報、産駒情報などをはじめ、競走馬の全データがご覧いただけます。",
        )
        + _chrome.db_genre_menu("競走馬")
        + f"""<div id="contents" class="fc">
<div id="db_main_box" class="fc">
<div class="db_head fc">
<div class="db_head_name fc">
<div class="horse_title">
<h1>{name}</h1>
<p class="eng_name"></p>
<p class="txt_01">{status}　{sex}{age}　{ctx.colour}</p>
</div>
</div>
<div class="db_prof_area_02">
<table class="db_prof_table no_OwnerUnit" summary="のプロフィール">
<tr>
<th>生年月日</th>
<td>{birth}</td>
</tr>
<tr>
<th>調教師</th>
<td><a href="/trainer/{page.trainer_id}/" title="{escaped(ctx.trainer_name)}">{escaped(ctx.trainer_name)}</a> ({"美浦" if ctx.trainer_east else "栗東"})</td>
</tr>
<tr>
<th>馬主</th>
<td>
<img alt="{escaped(ctx.owner_name)}" class="OwnerColours" src="https://cdn.netkeiba.com/img//db/colours/no_data.gif" />
<a href="/owner/{page.owner_id}/" title="{escaped(ctx.owner_name)}">{escaped(ctx.owner_name)}</a>
</td>
</tr>
<tr>
<th>生産者</th>
<td>
<a href="/breeder/{page.breeder_id}/" title="{escaped(ctx.breeder_name)}">{escaped(ctx.breeder_name)}</a>
</td>
</tr>
<tr>
<th>産地</th>
<td>日高町</td>
</tr>
<tr>
<th>通算成績</th>
<td>{record}</td>
</tr>
<tr>
<th>主な勝鞍</th>
<td>
{best}
</td>
</tr>
</table>
<div class="db_prof_box">
<dl class="fc">
<dt class="DB_ProfHead_dt_01">
<div class="fc">
<p class="db_prof_top_padigree_title png_bg">血統</p>
</div>
</dt>
<dd class="DB_ProfHead_dd_01">
<table cellpadding="0" cellspacing="0" class="blood_table" summary="{name}の血統表">
<tr>
<td class="b_ml" rowspan="2">
<a href="/horse/ped/{page.sire_id}/" title="{escaped(ctx.sire_name)}">{escaped(ctx.sire_name)}</a>
</td>
<td class="b_ml">
<a href="/horse/ped/{ss_id}/">{escaped(ss_name)}</a>
</td>
</tr>
<tr>
<td class="b_fml">
<a href="/horse/ped/{sd_id}/">{escaped(sd_name)}</a>
</td>
</tr>
<tr>
<td class="b_fml" rowspan="2">
<a href="/horse/ped/{page.dam_id}/">{escaped(ctx.dam_name)}</a>
</td>
<td class="b_ml">
<a href="/horse/ped/{page.damsire_id}/">{escaped(ctx.damsire_name)}</a>
</td>
</tr>
<tr>
<td class="b_fml">
<a href="/horse/ped/{dd_id}/">{escaped(dd_name)}</a>
</td>
</tr>
</table>
</dd>
</dl>
<p class="detail_link">
<a href="/horse/ped/{page.horse_id}/" title="{name}の血統詳細">血統詳細・兄弟馬</a>
</p>
</div>
</div>
</div>
<div class="db_main_race fc">
<div class="db_main_deta">
<div class="cate_bar">
<h2>{name}の競走成績</h2>
</div>
<table cellpadding="0" cellspacing="1" class="db_h_race_results nk_tb_common" summary="{name}の競走戦績">
<thead>
<tr align="center">
<th>日付</th><th>開催</th><th>天<br />気</th><th>R</th><th>レース名</th>
<th>映<br />像</th><th>頭<br />数</th><th>枠<br />番</th><th>馬<br />番</th>
<th>オ<br />ッ<br />ズ</th><th>人<br />気</th><th>着<br />順</th><th>騎手</th><th>斤<br />量</th>
<th>距離</th><th>馬<br />場</th><th>馬場<br />指数</th><th>タイム</th><th>着差</th>
<th>ﾀｲﾑ<br />指数</th><th>通過</th><th>ペース</th><th>上り</th><th>馬体重</th>
<th>厩舎<br />ｺﾒﾝﾄ</th><th>備考</th><th>勝ち馬<br />(2着馬)</th><th>賞金</th>
</tr>
</thead>
<tbody>{result_rows}
</tbody>
</table>
</div>
</div>
</div>
</div><!-- / #contents -->
"""
        + _chrome.footer()
    )


_SURF_SHORT = {
    "turf": "芝",
    "dirt": "ダ",
    "jump_turf": "障",
    "jump_dirt": "障",
    "jump_turf_dirt": "障",
}
_GOING_SHORT = {"good": "良", "slightly_heavy": "稍", "heavy": "重", "bad": "不"}


def _horse_row(r, x) -> str:
    d = r.date
    pos = (
        str(r.finish_position)
        if r.finish_position is not None
        else STATUS_CELL.get(r.finish_status or "", "")
    )
    if r.finish_status == "demoted":
        pos = f"{r.finish_position}(降)"
    bw = (
        "計不"
        if r.body_weight is None
        else f"{r.body_weight}({r.body_weight_diff:+d})"
        if r.body_weight_diff
        else f"{r.body_weight}(0)"
    )
    return f"""
<tr>
<td><a href="/race/list/{d:%Y%m%d}/">{d:%Y/%m/%d}</a></td>
<td><a href="/race/sum/{x.venue_code}/{d:%Y%m%d}/">{escaped(r.venue)}</a></td>
<td>{x.weather}</td>
<td class="txt_right">{x.race_number}</td>
<td class=""><a href="/race/{r.race_id}/" title="{escaped(r.race_name)}">{escaped(r.race_name)}</a></td>
<td></td>
<td class="txt_right">{r.field_size}</td>
<td class="txt_right">{r.bracket}</td>
<td class="txt_right">{r.horse_number}</td>
<td class="txt_right">{"" if r.win_odds is None else f"{r.win_odds:.1f}"}</td>
<td class="txt_right">{"" if r.popularity is None else r.popularity}</td>
<td class="bml txt_right">{pos}</td>
<td><a href="/jockey/result/recent/{r.jockey_id}/" title="{escaped(x.jockey_name)}">{escaped(x.jockey_name)}</a></td>
<td>{weight_text(r.weight_carried)}</td>
<td>{_SURF_SHORT.get(r.surface or "", "")}{r.distance_m}</td>
<td>{_GOING_SHORT.get(r.going or "", "")}</td>
<td class="bml txt_right"><div align="center"><a href="https://regist.netkeiba.com/?pid=premium&service=p44">**</a></div></td>
<td class="txt_right">{race_time(r.time_s)}</td>
<td class="txt_right">{r.margin or ""}</td>
<td class="bml txt_right"><div style="text-align:center;"><a href="https://regist.netkeiba.com/?pid=premium&service=p04">**</a></div></td>
<td>{x.passing}</td>
<td></td>
<td class="bml">{x.last3f}</td>
<td>{bw}</td>
<td align="center" class="bml" nowrap="nowrap">   </td>
<td class="bml" nowrap="nowrap">   </td>
<td><a href="/horse/{x.winner[0]}/">{escaped(x.winner[1])}</a></td>
<td> </td>
</tr>"""
