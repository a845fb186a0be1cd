"""Personal data in free text is masked; the words of the request are not."""

from __future__ import annotations

import pytest

from app.matching.pii import mask_personal_data


@pytest.mark.parametrize(
    ("text", "gone", "placeholder"),
    [
        ("山田太郎と申します。", ["山田", "太郎"], "〈氏名〉"),
        ("佐藤さんの紹介で来ました", ["佐藤"], "〈氏名〉"),
        ("萩市椿東1234-5で店をやっています", ["椿東", "1234"], "〈住所〉"),
        ("山口市小郡黄金町3番2号の工場", ["黄金町", "3番2号"], "〈住所〉"),
        ("下関市竹崎町四丁目5-1", ["竹崎町", "5-1"], "〈住所〉"),
        ("連絡は090-1234-5678へ", ["090", "5678"], "〈電話番号〉"),
        ("電話（0838）25-3333まで", ["0838", "3333"], "〈電話番号〉"),
        ("０９０ー１２３４ー５６７８に電話ください", ["０９０", "５６７８"], "〈電話番号〉"),
        ("＋81 90 1234 5678", ["1234"], "〈電話番号〉"),
        ("08012345678", ["0801"], "〈電話番号〉"),
        ("メールはtaro.yamada@example.co.jpです", ["taro", "example"], "〈メール〉"),
        ("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐまで", ["ｔａｒｏ"], "〈メール〉"),
        ("https://example.jp/shop を見て", ["example.jp"], "〈URL〉"),
        ("連絡は090.1234.5678か090・1234・5678", ["1234"], "〈電話番号〉"),
        ("ｹｰﾀｲは090ｰ1234ｰ5678", ["1234"], "〈電話番号〉"),
        ("〒753-0001 まで", ["753"], "〈住所〉"),
        ("林さんから紹介されました", ["林"], "〈氏名〉"),
    ],
)
def test_personal_data_is_replaced_by_a_placeholder(
    text: str, gone: list[str], placeholder: str
) -> None:
    masked = mask_personal_data(text)
    assert placeholder in masked, masked
    for personal in gone:
        assert personal not in masked, masked


@pytest.mark.parametrize(
    "text",
    [
        "萩市で開業したい",
        "一番困っているのは資金です",
        "売上は3000万円、従業員5人。2024年に創業",
        "宇部市の工場で設備投資に1000万円",
        "大学と共同研究したい",
        "IT導入補助金を使いたい",
        # words a name tagger takes for names, and numbers after a place that are no address
        "ゆうしを受けたい",
        "ショウテンガイを盛り上げたい",
        "山口で店をやっています",
        "税理士に相談したい",
        "美祢市の2000万円の設備",
        "柳井市の10人の会社",
    ],
)
def test_the_request_itself_is_left_alone(text: str) -> None:
    assert mask_personal_data(text) == text


def test_the_words_around_personal_data_stay() -> None:
    masked = mask_personal_data("山田太郎です。090-1234-5678。パン屋を開業したいので融資を受けたい")
    assert masked.endswith("パン屋を開業したいので融資を受けたい")
    assert masked.startswith("〈氏名〉です。〈電話番号〉。")
