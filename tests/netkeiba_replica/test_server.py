"""The HTTP server: loopback, charset, routes, request log, injected faults."""

from __future__ import annotations

import httpx
import pytest

from netkeiba_replica.faults import FaultConfig
from netkeiba_replica.server import ReplicaServer
from netkeiba_replica.world import World
from tests.support import listening_addresses


def test_serves_on_loopback_with_euc_jp(server: ReplicaServer, small_world: World) -> None:
    assert server.host == "127.0.0.1" and server.port > 0
    assert listening_addresses(server.port) == {"127.0.0.1"}  # by default, as the kernel says
    assert server.urls.db_base == f"http://127.0.0.1:{server.port}/db"
    rid = small_world.run_race_ids()[0]
    response = httpx.get(server.urls.race_result(rid))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=EUC-JP"
    assert int(response.headers["content-length"]) == len(response.content)
    text = response.content.decode("euc_jp")
    assert "charset=euc-jp" in text and small_world.result_page(rid).race.name in text
    with pytest.raises(UnicodeDecodeError):
        response.content.decode("utf-8")


def test_routes(server: ReplicaServer, small_world: World) -> None:
    urls, w = server.urls, small_world
    up = w.race_ids_on(w.today)[0]
    hid = w.result_page(w.run_race_ids()[0]).entries[0].horse_id
    with httpx.Client() as client:

        def get(url: str) -> httpx.Response:
            return client.get(url)

        no_race = get(urls.race_result("209901010101"))
        assert no_race.status_code == 200 and "｜年月日" in no_race.content.decode("euc_jp")
        upcoming = get(urls.race_result(up))  # not run yet: the no-race page
        assert upcoming.status_code == 200 and "｜年月日" in upcoming.content.decode("euc_jp")
        assert get(urls.race_card(up)).status_code == 200
        assert get(urls.day_list(w.racing_days()[0])).status_code == 200
        assert get(urls.upcoming_list(w.today)).status_code == 200
        assert get(urls.horse(hid)).status_code == 200
        assert get(urls.fresh_result(up)).status_code == 404  # race.netkeiba result: not served
        assert get(urls.horse("0000000000")).status_code == 404
        assert get(f"{server.base_url}/db/race/list/2023ab07/").status_code == 404
        assert get(f"{server.base_url}/elsewhere").status_code == 404


def test_request_log_counts_every_fetch(small_world: World) -> None:
    ids = small_world.run_race_ids()[:6]
    with ReplicaServer(small_world) as srv, httpx.Client() as client:
        for rid in ids:
            client.get(srv.urls.race_result(rid))
        client.get(srv.urls.race_result(ids[0]))
        log = srv.request_log
        counts = srv.fetch_counts()
    assert log[0] == (f"/db/race/{ids[0]}/", 200)
    assert len(log) == 7
    assert counts[f"/db/race/{ids[0]}/"] == 2
    assert [p for p, n in counts.items() if n > 1] == [f"/db/race/{ids[0]}/"]


def _serve(world: World, **faults) -> ReplicaServer:
    return ReplicaServer(world, faults=FaultConfig(**faults))


def test_fault_server_errors(small_world: World) -> None:
    with _serve(small_world, error_rate=1.0, seed=1) as srv:
        statuses = {
            httpx.get(srv.urls.race_result(r)).status_code for r in small_world.run_race_ids()[:8]
        }
        assert statuses <= {500, 503} and statuses
        assert {kind for _, kind in srv.fault_log} == {"error"}
        assert all(status in (500, 503) for _, status in srv.request_log)


def test_fault_rate_limit_with_retry_after(small_world: World) -> None:
    with _serve(small_world, rate_429=1.0, retry_after_s=2) as srv:
        response = httpx.get(srv.urls.race_result(small_world.run_race_ids()[0]))
        assert response.status_code == 429
        assert response.headers["retry-after"] == "2"


def test_fault_slow_response_exceeds_client_timeout(small_world: World) -> None:
    with (
        _serve(small_world, timeout_rate=1.0, slow_s=1.0) as srv,
        pytest.raises(httpx.ReadTimeout),
    ):
        httpx.get(srv.urls.race_result(small_world.run_race_ids()[0]), timeout=0.2)


def test_fault_truncated_body_with_full_content_length(small_world: World) -> None:
    with (
        _serve(small_world, truncate_rate=1.0, truncate_mode="short_body") as srv,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        httpx.get(srv.urls.race_result(small_world.run_race_ids()[0]))


def test_fault_silently_truncated_page(small_world: World) -> None:
    rid = small_world.run_race_ids()[0]
    with _serve(small_world, truncate_rate=1.0, truncate_mode="silent") as srv:
        response = httpx.get(srv.urls.race_result(rid))
        _, full = srv.page(f"/db/race/{rid}/")
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len(response.content) < len(full)
    assert full.startswith(response.content) and b"</html>" not in response.content


def test_faults_are_deterministic_and_retries_draw_afresh(small_world: World) -> None:
    ids = small_world.run_race_ids()[:20]

    def statuses() -> list[int]:
        with _serve(small_world, error_rate=0.5, seed=3) as srv, httpx.Client() as client:
            first = [client.get(srv.urls.race_result(r)).status_code for r in ids]
            # Retrying each failed path until it succeeds always gets through.
            for rid, status in zip(ids, first, strict=True):
                while status != 200:
                    status = client.get(srv.urls.race_result(rid)).status_code
            return first

    a, b = statuses(), statuses()
    assert a == b
    assert 200 in a and any(s >= 500 for s in a)


def test_fault_config_validates_rates() -> None:
    with pytest.raises(ValueError):
        FaultConfig(error_rate=0.7, rate_429=0.6)
    with pytest.raises(ValueError):
        FaultConfig(error_rate=-0.1)
