# ruff: noqa: E501 - HTML templates keep the real pages' long lines
"""Site chrome around the replica's pages: head, header, navigation, footer.

Abridged, but with the structure of netkeiba's (scripts, nav lists full of
links, a search form, an ad slot, a long footer), so that a parser benchmarked
on the replica has to find its tables among realistic noise.
"""

from __future__ import annotations

_CDN = "https://cdn.netkeiba.com"

_DB_CSS = (
    "reset.css?20160421",
    "common.css?2020",
    "db_detail.css?2020",
    "horse_detail.css?20130326",
    "win.css",
    "db_top.css?20111021",
    "prettyPhoto.css",
    "db_classic_nk01.css?201911201",
)
_DB_JS = (
    "jquery-1.8.2.min.js?20160421",
    "jquery.cookie.js?20160421",
    "fontsize.js?20160421",
    "jquery.prettyPhoto.js?20160421",
    "table_hover.js?20160421",
    "jquery.colorbox.js?20180321",
)

_NAV = (
    ("Top", "https://www.netkeiba.com/", "トップ"),
    ("News", "https://news.netkeiba.com/", "ニュース"),
    ("Race", "https://race.netkeiba.com/top/", "レース"),
    ("Yoso", "https://yoso.netkeiba.com/", "ウマい馬券"),
    ("Column", "https://news.netkeiba.com/?pid=column_top", "コラム"),
    ("Local", "https://nar.netkeiba.com/top/", "地方競馬"),
    ("Db", "https://db.netkeiba.com/", "データベース"),
    ("Owner", "https://owner.netkeiba.com/", "一口馬主"),
    ("Pog", "https://pog.netkeiba.com/", "POG"),
)

_FOOT = (
    ("ニュース", "https://news.netkeiba.com/"),
    ("レース", "https://race.netkeiba.com/top/"),
    ("ウマい馬券", "https://yoso.netkeiba.com/"),
    ("地方競馬", "https://nar.netkeiba.com/top/"),
    ("データベース", "https://db.netkeiba.com/"),
    ("一口馬主", "https://owner.netkeiba.com/"),
    ("POG", "https://pog.netkeiba.com/"),
    ("お知らせ", "https://info.netkeiba.com/"),
    ("利用規約", "https://www.netkeiba.com/info/kiyaku.html"),
    ("運営会社", "https://www.netdreamers.co.jp/"),
)


def db_head(
    title: str,
    body_id: str,
    description: str = "競馬データベースです。競走馬、騎手、レース、調教師、馬主。",
) -> str:
    css = "\n".join(
        f'<link href="{_CDN}/img.db/common/css/{c}" rel="stylesheet" type="text/css" media="all" />'
        for c in _DB_CSS
    )
    js = "\n".join(
        f'<script type="text/javascript" src="{_CDN}/img.db/common/js/{j}"></script>'
        for j in _DB_JS
    )
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" lang="ja" xml:lang="ja" id="html">
<head>
<title>{title}</title>

<meta http-equiv="X-UA-Compatible" content="IE=edge,chrome=1">
<meta http-equiv="content-language" content="ja" />
<meta http-equiv="content-type" content="text/html; charset=euc-jp" />
<meta http-equiv="content-script-type" content="text/javascript" />
<meta http-equiv="content-style-type" content="text/css" />
<meta name="description" content="{description}" />
<meta name="keywords" content="競馬情報,競走馬,騎手,レース,調教師,検索,データベース,JRA,netkeiba.com" />
{css}

<script language="javascript">
<!--
b = navigator.userAgent.toUpperCase();
if(b.indexOf("MAC") >= 0) {{ cssFile = "mac.css"; }} else {{ cssFile = "win.css"; }}
document.write("<link rel='stylesheet' type='text/css' href='{_CDN}/img.db/common/css/" + cssFile + "'>");
// -->
</script>
{js}
<script type="text/javascript">
<!--
var _user_action_api_url    = '{_CDN}/img.user';
var _social_action_api_url  = 'https://db.netkeiba.com/v1.1/';
// -->
</script>
</head>
<body class="db " id="{body_id}">
<div id="page">
{_header()}
"""


def _header() -> str:
    nav = "\n".join(
        f'<li class="{c}">\n<a href="{u}?rf=navi" title="{t}">{t}</a>\n</li>' for c, u, t in _NAV
    )
    return f"""<link rel="stylesheet" href="{_CDN}/img.www/style/netkeiba.ja/css/pc_header.css" type="text/css" media="screen" />
<p class="sp_nk_btn disp_none"><a href="http://www.netkeiba.com/?pid=go_sp" title="スマートフォン版へ"><img src="{_CDN}/img.www/style/netkeiba.ja/image/sp_nk_link_02.png" alt="スマートフォン版へ" class="imgover" /></a></p>
<header class="Header_Area fc">
<div class="Header_Inner fc">
<h1>
<a href="https://www.netkeiba.com/?rf=logo" title="netkeiba.com">
<img src="{_CDN}/img.www/style/netkeiba.ja/image/common/netkeiba_logo01.png" alt="netkeiba.com">
</a>
</h1>
<div class="DB_Search_Input">
<form class="Search_Box" action="https://www.netkeiba.com/" method="POST">
<input type="hidden" name="pid" value="search">
<input type="hidden" name="type" value="db">
<div class="InputTxt_Form_Box">
<input class="Txt_Form" placeholder="馬名で検索" value="" type="text" name="word" id="keywords">
</div><!-- / .InputTxt_Form -->
<div class="Submit_Btn_Box">
<input class="Submit_Btn" type="submit" name="submit" value="検 索">
</div><!-- / .Submit_Btn_Box -->
</form>
</div><!-- / .DB_Search_Input -->
<ul class="UserMyMenu fc">
<li>
<a href="https://www.netkeiba.com/?pid=start_mypage&rf=navi">
<span>マイページのご紹介</span>
</a>
</li>
<li>
<a href="https://regist.netkeiba.com/account/?pid=login" class="Icon_Header Icon_Login">
<span>ログイン/会員登録</span>
</a>
</li>
</ul>
</div><!-- /.Header_Inner -->
</header>
<nav class="ContentNavi01">
<ul class="fc">
{nav}
</ul>
</nav><!-- /.ContentNavi01 -->
<script type="text/javascript">
$(document).ready(function() {{
show_user();
}});
function show_user(){{
var is_user  = '';
if(is_user){{
$('.login_show').show();
}} else {{
$('.no_login_show').show();
$('.login_show').remove();
}}
}}
</script>
"""


def db_genre_menu(active: str) -> str:
    items = (
        ("/", "競馬データTOP"),
        ("/?pid=horse_top", "競走馬"),
        ("/?pid=jockey_top", "騎手"),
        ("/?pid=trainer_top", "調教師"),
        ("/?pid=owner_top", "馬主"),
        ("/?pid=breeder_top", "生産者"),
        ("/?pid=race_top", "レース"),
    )
    on = 'class="active"'
    lis = "\n".join(
        f'<li {on if t == active else ""}><a href="{u}" title="{t}">{t}</a></li>' for u, t in items
    )
    return f'<div class="genre_menu fc">\n<ul>\n{lis}\n</ul>\n</div><!-- /.genre_menu -->\n'


def ad_slot(keyword: str) -> str:
    return (
        '<script language="JavaScript" type="text/javascript">noCacheParam=Math.random()*10000000000;'
        "document.write('<scr'+'ipt type=\"text/javascript\" src=\"https://netdreamersad.durasite.net/"
        f"A-affiliate2/mobile?site=23&keyword={keyword}&isJS=true&encoding=EUC-JP&ord=' + noCacheParam"
        " + '\"></scr'+'ipt>');</script>"
    )


def footer() -> str:
    links = "\n".join(f'<li>\n<a href="{u}?rf=footer" title="{t}">{t}</a>\n</li>' for t, u in _FOOT)
    return f"""<footer>
<div class="NkFooterArea">
<div class="BtnPagetop">
<a href="javascript:void(0)" title="ページトップへ"></a>
</div><!-- /.BtnPagetop -->
<script type="text/javascript">
$(function() {{
$('.BtnPagetop a').click(function () {{
$('body,html').animate({{ scrollTop: 0 }}, 400);
return false;
}});
}});
</script>
<dl class="FootSiteTitle fc">
<dt>
<a href="https://www.netkeiba.com/?rf=footer" title="netkeiba.com">
<img src="{_CDN}/img.www/style/netkeiba.ja/image/common/netkeiba_logo01.png" alt="netkeiba.com" />
</a>
</dt>
<dd>
<p>利用者数<strong>1100</strong>万人突破！<strong>No.1</strong>競馬サイト</p>
</dd>
</dl>
<div class="FootWrap">
<dl class="NkFoot01 NkFootCateLink">
<dt>カテゴリ</dt>
<dd class="fc">
<ul>
{links}
</ul>
</dd>
</dl>
</div><!-- /.FootWrap -->
</div><!-- /.NkFooterArea -->
<div class="GlobalFooterArea">
<p class="CopyRight">
<small>&copy; Net Dreamers Co., Ltd.</small>
</p>
</div><!-- /.GlobalFooterArea -->
</footer>
<!-- Google Tag Manager -->
<noscript><iframe src="//www.googletagmanager.com/ns.html?id=GTM-K6PJT6"
height="0" width="0" style="display:none;visibility:hidden"></iframe></noscript>
<!-- End Google Tag Manager -->
</div><!-- / #page -->

{ad_slot("pc_nk_overlay")}
</body>
</html>
"""


def race_head(title: str, canonical: str, description: str) -> str:
    """race.netkeiba.com's head (HTML5, ``<meta charset="EUC-JP">``) and header."""
    nav = "\n".join(
        f'<li class="{c}"><a href="{u}?rf=navi" title="{t}">{t}</a></li>' for c, u, t in _NAV
    )
    return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="EUC-JP">

<!-- block=common__meta_tag_each_race (cp) -->
<meta http-equiv="content-language" content="ja">
<meta http-equiv="X-UA-Compatible" content="IE=edge"/>
<meta name="viewport" content="width=1000">
<meta name="description" content="{description}" />
<meta property="og:site_name" content="netkeiba" />
<meta property="og:title" content="{title}" />
<meta property="og:url" content="{canonical}" />
<link rel="canonical" href="{canonical}" />
<title>{title}</title>
<link rel="stylesheet" type="text/css" href="{_CDN}/img.race/common/css/common.css?2019073001">
<link rel="stylesheet" type="text/css" href="{_CDN}/img.race/common/css/race.css?2019073001">
<script type="text/javascript" src="{_CDN}/img.race/common/js/jquery-1.12.4.min.js"></script>
<script type="text/javascript" src="{_CDN}/img.race/common/js/common.js?2019073001"></script>
</head>
<body>
<div id="page">
<header class="Header_Area fc">
<div class="Header_Inner fc">
<h1><a href="https://www.netkeiba.com/?rf=logo" title="netkeiba"><img src="{_CDN}/img.www/style/netkeiba.ja/image/common/netkeiba_logo01.png" alt="netkeiba"></a></h1>
</div>
</header>
<nav class="ContentNavi01">
<ul class="fc">
{nav}
</ul>
</nav>
"""
