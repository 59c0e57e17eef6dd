"""Content keys of nodes whose inputs cannot be fingerprinted (KeyRecipe)."""

from __future__ import annotations

from kedro_prefect.cache import KeyRecipe, KnownKeys, stable_hash
from kedro_prefect.fingerprint import FingerprintMemo


def recursive_key(recipe: KeyRecipe, assume: dict[str, str]) -> str:
    """The definition, written the obvious way: what KeyRecipe.key must equal."""
    fingerprints = {name: assume[name] for name, _ in recipe.inputs}
    if not recipe.derived:
        return stable_hash(recipe.static_key, fingerprints)
    derived = {name: recursive_key(r, assume) for name, r in recipe.derived}
    return stable_hash(recipe.static_key, fingerprints, derived)


def chain(length: int) -> KeyRecipe:
    """Node i reads node i-1's in-memory output; node 0 reads the file raw."""
    recipe = KeyRecipe("node-0", inputs=(("raw", "/data/raw.csv"),))
    for i in range(1, length):
        recipe = KeyRecipe(f"node-{i}", derived=((f"d{i - 1}", recipe),))
    return recipe


def test_a_key_equals_its_definition_on_a_diamond() -> None:
    root = KeyRecipe("root", inputs=(("raw", "/data/raw.csv"),))
    left = KeyRecipe("left", derived=(("r", root),))
    right = KeyRecipe("right", inputs=(("side", "/data/side.csv"),), derived=(("r", root),))
    join = KeyRecipe("join", derived=(("l", left), ("r", right)))
    assume = {"raw": "fp-raw", "side": "fp-side"}
    memo = FingerprintMemo(None)
    assert join.key(memo, assume) == recursive_key(join, assume)
    changed = {**assume, "raw": "fp-raw-2"}
    assert join.key(memo, changed) != join.key(memo, assume)  # a change far upstream shows


def test_a_thousands_deep_chain_of_in_memory_data_has_a_key() -> None:
    """A 1,000-node pipeline passing data in memory made recipes 1,000 deep; the
    recursive walk failed the whole plan with RecursionError."""
    deep = chain(5000)
    memo = FingerprintMemo(None)
    first = deep.key(memo, {"raw": "a"})
    assert first == deep.key(memo, {"raw": "a"})
    assert deep.key(memo, {"raw": "b"}) != first
    short = chain(50)
    assert short.key(memo, {"raw": "a"}) == recursive_key(short, {"raw": "a"})


def test_shared_known_keys_never_mix_recipes_up() -> None:
    """Keys are remembered by identity: recipes made and dropped while one KnownKeys
    lives must not be mistaken for each other (it keeps them alive)."""
    known = KnownKeys()
    memo = FingerprintMemo(None)
    keys = [KeyRecipe(f"node-{i}").key(memo, {}, known) for i in range(200)]
    assert len(set(keys)) == 200
    assert keys == [recursive_key(KeyRecipe(f"node-{i}"), {}) for i in range(200)]
