import datetime as dt

from forecast_keiba.netkeiba.urls import SiteUrls


def test_live_urls_follow_netkeiba() -> None:
    urls = SiteUrls()
    assert urls.race_result("202105010101") == "https://db.netkeiba.com/race/202105010101/"
    assert urls.day_list(dt.date(2022, 12, 21)) == "https://db.netkeiba.com/race/list/20221221/"
    assert (
        urls.race_card("202001010102")
        == "https://race.netkeiba.com/race/shutuba.html?race_id=202001010102"
    )
    assert urls.upcoming_list(dt.date(2024, 1, 6)).endswith(
        "race_list_sub.html?kaisai_date=20240106"
    )


def test_replica_urls_share_one_loopback_port() -> None:
    urls = SiteUrls.replica(port=9999)
    assert urls.race_result("202105010101") == "http://127.0.0.1:9999/db/race/202105010101/"
    assert urls.horse("2018100498") == "http://127.0.0.1:9999/db/horse/2018100498/"
    assert urls.race_card("1").startswith("http://127.0.0.1:9999/race/race/shutuba.html")
