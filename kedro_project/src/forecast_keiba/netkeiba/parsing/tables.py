"""DOM helpers shared by the page parsers: header-driven tables, cell text, links.

netkeiba has added, removed and moved columns many times (premium columns,
"水分量", race.netkeiba's 15-column layout), so no parser indexes cells by a
fixed position: :class:`Table` maps each header label to its column once and
rows are read through that map. Rows are taken only from the table node itself
(never ``document.css("tr")``) because pages carry look-alike rows elsewhere
(lap tables, pickup tables, a horse's own results table).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import NamedTuple, TypeVar

from selectolax.lexbor import LexborHTMLParser, LexborNode

from forecast_keiba.netkeiba.errors import ParseError
from forecast_keiba.netkeiba.parsing.cells import clean, squash

T = TypeVar("T")

_SECTIONS = frozenset({"thead", "tbody", "tfoot"})
_CELLS = frozenset({"td", "th"})

# Header label (whitespace removed) → column key used by the parsers.
COLUMN_KEYS: dict[str, str] = {
    "着順": "finish",
    "枠番": "bracket",
    "枠": "bracket",
    "馬番": "horse_number",
    "馬名": "horse",
    "性齢": "sex_age",
    "斤量": "weight_carried",
    "騎手": "jockey",
    "タイム": "time",
    "着差": "margin",
    "単勝": "odds",
    "単勝オッズ": "odds",
    "オッズ": "odds",
    "人気": "popularity",
    "馬体重": "body_weight",
    "馬体重(増減)": "body_weight",
    "調教師": "trainer",
    "厩舎": "trainer",
    # a horse's results table
    "日付": "date",
    "開催": "venue",
    "天気": "weather",
    "R": "race_number",
    "レース名": "race_name",
    "頭数": "field_size",
    "距離": "course",
    "馬場": "going",
}


def text_of(node: LexborNode | None) -> str:
    """The node's text with whitespace collapsed; "" for a missing node."""
    if node is None:
        return ""
    return clean(node.text(deep=True, separator=" "))


def lines_of(node: LexborNode | None) -> list[str]:
    """The non-empty lines of a multi-value cell, split at ``<br>``.

    Text inside one line is concatenated (``<span>1</span>,000`` stays "1,000").
    Cells holding only text and ``<br>`` (db.netkeiba's payout cells) are read
    from their direct children; others are walked in full.
    """
    if node is None:
        return []
    text = node.text(deep=True, separator="\n")
    if "\n" not in text:  # a single value, whatever its markup
        value = clean(text)
        return [value] if value else []
    flat = _lines_at_br(node.iter(include_text=True), flat=True)
    return flat if flat is not None else _lines_at_br(node.traverse(include_text=True))


def _lines_at_br(children: Iterable[LexborNode], *, flat: bool = False) -> list[str] | None:
    """The text of ``children`` split at each ``<br>``, blank lines dropped. Other
    elements are stepped over, or with ``flat`` end the reading (``None``): a cell
    with markup in it is then walked in full."""
    lines: list[str] = []
    current: list[str] = []
    for child in children:
        tag = child.tag
        if tag == "-text":
            current.append(child.text_content or "")
        elif tag == "br":
            lines.append(clean("".join(current)))
            current = []
        elif flat:
            return None
    lines.append(clean("".join(current)))
    return [line for line in lines if line]


def _head(tree: LexborHTMLParser) -> LexborNode | LexborHTMLParser:
    """Where head elements live: the ``<head>``, or the whole tree for fragments.

    Looking inside the head only is ~10x faster than scanning a 50 kB body.
    """
    head = tree.head
    return head if head is not None and head.child is not None else tree


def title_of(tree: LexborHTMLParser) -> str:
    """The document ``<title>`` text ("" if none)."""
    return text_of(_head(tree).css_first("title"))


def canonical_url(tree: LexborHTMLParser) -> str:
    """``<link rel=canonical>`` href, else ``og:url`` content, else ""."""
    head = _head(tree)
    link = head.css_first('link[rel="canonical"]')
    href = link.attrs.get("href") if link is not None else None
    if not href:
        meta = head.css_first('meta[property="og:url"]')
        href = meta.attrs.get("content") if meta is not None else None
    return href or ""


def href_of(node: LexborNode | None) -> str | None:
    """The ``href`` of a link node (None for a missing node or attribute)."""
    if node is None:
        return None
    return node.attrs.get("href")


def first_link(cell: LexborNode | None, needle: str) -> LexborNode | None:
    """The first ``<a>`` in ``cell`` whose href contains ``needle``."""
    found = link_in(cell, needle)
    return None if found is None else found[0]


def link_in(
    cell: LexborNode | None, needle: str
) -> tuple[LexborNode, dict[str, str | None]] | None:
    """The first ``<a>`` in ``cell`` whose href contains ``needle``, and its attributes.

    A plain walk: for a cell of a few nodes it is ~4x cheaper than a CSS
    query. The common db.netkeiba shape, a link as the cell's first element,
    is checked before walking the whole cell. The attributes come as one dict
    because callers want the title too, and one ``attributes`` call costs
    about what two ``attrs.get`` calls do.
    """
    if cell is None:
        return None
    child = cell.first_child
    while child is not None and child.is_text_node:
        child = child.next
    if child is not None and child.tag == "a":
        attributes = child.attributes
        href = attributes.get("href")
        if href and needle in href:
            return child, attributes
    for node in cell.traverse():
        if node.tag == "a":
            attributes = node.attributes
            href = attributes.get("href")
            if href and needle in href:
                return node, attributes
    return None


def rows_of(table: LexborNode) -> Iterator[LexborNode]:
    """The table's own ``<tr>`` rows, in order, skipping rows of nested tables."""
    for child in table.iter():
        tag = child.tag
        if tag == "tr":
            yield child
        elif tag in _SECTIONS:
            for row in child.iter():
                if row.tag == "tr":
                    yield row


def cells_of(row: LexborNode) -> list[LexborNode]:
    """The row's own ``<td>``/``<th>`` cells."""
    return [cell for cell in row.iter() if cell.tag in _CELLS]


def _parent_id(node: LexborNode) -> int | None:
    """Identity of the node's parent (``mem_id``; lexbor's ``==`` compares markup)."""
    parent = node.parent
    return None if parent is None else parent.mem_id


def _span(cell: LexborNode) -> int:
    """The cell's colspan (1 when absent or malformed)."""
    raw = cell.attrs.get("colspan")
    return int(raw) if raw and raw.isdecimal() and int(raw) > 0 else 1


class _Header(NamedTuple):
    """What a header row says: column key → position, the labels, the width."""

    columns: dict[str, int]
    labels: tuple[str, ...]
    width: int


def _read_header(
    row: LexborNode, keys: Mapping[str, str], header_ids: Mapping[str, str] | None
) -> _Header | None:
    """The header that ``row`` is, None when it is not one (a cell other than ``th``)."""
    header = cells_of(row)
    if not header or not all(cell.tag == "th" for cell in header):
        return None
    columns: dict[str, int] = {}
    labels: list[str] = []
    position = 0
    # reading every header cell's attributes costs; most headers have no colspan
    spans = row.css_first("[colspan]") is not None
    for cell in header:
        label = squash(cell.text())  # "着<br>順" → "着順"
        labels.append(label)
        key = keys.get(label)
        if key is None and header_ids:
            key = header_ids.get(cell.attrs.get("id") or "")
        if key is not None and key not in columns:
            columns[key] = position
        position += _span(cell) if spans else 1
    return _Header(columns, tuple(labels), position)


# Header rows already read, by their markup (the cells' tags, labels, ids and
# colspans are all in it). Every page of one layout has the same header, and
# serialising the row (~5 µs for db.netkeiba's 21 columns) costs a third of
# reading its cells. Only with the default COLUMN_KEYS (a constant) and no
# header_ids, so the markup alone decides the result; bounded, so a stream of
# odd pages cannot grow it.
_HEADERS: dict[str, _Header | None] = {}
_HEADERS_MAX = 64


def _header(
    row: LexborNode, keys: Mapping[str, str], header_ids: Mapping[str, str] | None
) -> _Header | None:
    """:func:`_read_header`, through the cache when ``keys``/``header_ids`` are the defaults."""
    if keys is not COLUMN_KEYS or header_ids is not None:
        return _read_header(row, keys, header_ids)
    markup = row.html or ""
    try:
        return _HEADERS[markup]
    except KeyError:
        pass
    header = _read_header(row, keys, header_ids)
    if len(_HEADERS) >= _HEADERS_MAX:
        _HEADERS.clear()
    _HEADERS[markup] = header
    return header


class Table:
    """A table whose columns are addressed by header label.

    ``columns`` maps a column key (see :data:`COLUMN_KEYS`) to its position,
    colspans counted; ``rows`` holds, per data row, the list of cells laid out
    on those positions. ``header_ids`` names columns whose header has no label
    but a stable ``id`` (race cards' odds column). A row whose width differs
    from the header's raises :class:`ParseError` instead of shifting every
    later column silently.
    """

    def __init__(
        self,
        node: LexborNode,
        source: str,
        what: str,
        required: Iterable[str] = (),
        keys: Mapping[str, str] = COLUMN_KEYS,
        header_ids: Mapping[str, str] | None = None,
    ) -> None:
        self.node = node
        self.source = source
        self.what = what
        rows = list(rows_of(node))
        header: _Header | None = None
        header_index = 0
        for header_index, row in enumerate(rows):  # noqa: B007 - used after the loop
            header = _header(row, keys, header_ids)
            if header is not None:
                break
        if header is None:
            raise ParseError(source, f"{what}: no header row")
        self.width = header.width
        # copies: through the cache, other tables share the header
        self.columns = dict(header.columns)
        self.labels = list(header.labels)
        missing = [key for key in required if key not in self.columns]
        if missing:
            raise ParseError(
                source, f"{what}: missing column(s) {', '.join(missing)} in header {self.labels}"
            )
        body = rows[header_index + 1 :]
        fast = self._rows_fast(body) if header_index == 0 else None
        self.rows: list[tuple[LexborNode, list[LexborNode]]] = (
            fast if fast is not None else self._rows_slow(body)
        )

    def _rows_fast(
        self, body: list[LexborNode]
    ) -> list[tuple[LexborNode, list[LexborNode]]] | None:
        """Rows cut from one ``td`` query, or None when the table is not regular.

        One CSS query for all cells is ~3x cheaper than walking every row, but
        only right when each data row holds exactly ``width`` td cells and no
        nested table adds cells of its own; parent checks prove both. (Nodes
        are compared by ``mem_id``: ``==`` on lexbor nodes serialises both.)
        """
        tds = self.node.css("td")
        count, position, width = len(tds), 0, self.width
        out: list[tuple[LexborNode, list[LexborNode]]] = []
        for row in body:
            row_id = row.mem_id
            if position >= count or _parent_id(tds[position]) != row_id:
                continue  # no td of its own: a th-only sub-header row
            end = position + width
            # first and last td of every chunk in its row: a row with fewer or
            # more cells, or a nested table's cells, would put one of them elsewhere
            if end > count or _parent_id(tds[end - 1]) != row_id:
                return None
            out.append((row, tds[position:end]))
            position = end
        return out if position == count else None

    def _rows_slow(self, body: list[LexborNode]) -> list[tuple[LexborNode, list[LexborNode]]]:
        """Rows walked one by one, colspans expanded; ParseError on a width mismatch."""
        out: list[tuple[LexborNode, list[LexborNode]]] = []
        index = 0
        for row in body:
            row_cells = cells_of(row)
            if not any(cell.tag == "td" for cell in row_cells):
                continue
            index += 1
            if len(row_cells) != self.width:
                row_cells = self._expand(row_cells, index)
            out.append((row, row_cells))
        return out

    def _expand(self, cells: list[LexborNode], index: int) -> list[LexborNode]:
        laid_out: list[LexborNode] = []
        for cell in cells:
            laid_out.extend([cell] * _span(cell))
        if len(laid_out) != self.width:
            raise ParseError(
                self.source,
                f"{self.what}: row {index} has {len(laid_out)} cells, header has {self.width}",
            )
        return laid_out

    def cell(self, cells: list[LexborNode], key: str) -> LexborNode | None:
        """The cell of column ``key`` in a row, None when the table lacks the column."""
        position = self.columns.get(key)
        return None if position is None else cells[position]

    def text(self, cells: list[LexborNode], key: str) -> str:
        """The collapsed text of column ``key`` ("" when the column is absent)."""
        return text_of(self.cell(cells, key))

    def value(self, cells: list[LexborNode], key: str, parse: Callable[[str], T], index: int) -> T:
        """``parse`` the text of column ``key``; a ValueError becomes a ParseError."""
        text = self.text(cells, key)
        try:
            return parse(text)
        except ValueError as exc:
            raise ParseError(
                self.source, f"{self.what}: row {index}, column {key}: {exc}"
            ) from None
