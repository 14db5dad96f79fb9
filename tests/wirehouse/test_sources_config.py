from __future__ import annotations

import pytest

from wirehouse.errors import InputError
from wirehouse.sources_config import load_crawl_config


def test_paths_are_relative_to_the_file(tmp_path):
    (tmp_path / "sources.toml").write_text(
        'db = "data/news.duckdb"\nurls_file = "urls.txt"\nfeeds = ["https://a.example/rss"]\n'
        'user_agent = "me/1 (+https://me.example)"\n[resolve]\n"a.example" = "127.0.0.1:8080"\n'
    )
    config = load_crawl_config(tmp_path / "sources.toml")
    assert config.db == str(tmp_path / "data" / "news.duckdb")
    assert config.urls_file == str(tmp_path / "urls.txt")
    assert config.feeds == ["https://a.example/rss"]
    assert config.resolve == {"a.example": "127.0.0.1:8080"}
    assert config.allow_private_network is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("feeds = []", "db = "),
        ('db = "x"\nfeeds = "one"', "feeds must be a list of strings"),
        ('db = "x"\nfeed = []', "unknown setting(s) feed"),
        ('db = "x"\nallow_private_network = "yes"', "must be true or false"),
        ("db = ", "not valid TOML"),
    ],
)
def test_mistakes_are_named(tmp_path, text, message):
    (tmp_path / "s.toml").write_text(text)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_crawl_config(tmp_path / "s.toml")


def test_a_missing_file(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        load_crawl_config(tmp_path / "nope.toml")


def test_the_example_documents_every_key():
    import re
    from pathlib import Path

    from wirehouse.sources_config import _KNOWN

    example = (Path(__file__).resolve().parents[2] / "sources.example.toml").read_text()
    written = set(re.findall(r"^#?\s*\[?([a-z_]+)\]?\s*(?:=|$)", example, flags=re.M))
    assert written >= _KNOWN, _KNOWN - written
    load_crawl_config(Path(__file__).resolve().parents[2] / "sources.example.toml")


def test_a_ducklake_crawl_names_its_catalog_data_path_and_shards(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text(
        'db = "ducklake:postgres:dbname=news host=db"\ndata_path = "lake"\nshards = 4\n'
    )
    config = load_crawl_config(path)
    assert config.db == "ducklake:postgres:dbname=news host=db"  # not a path: kept as written
    assert config.data_path == str(tmp_path / "lake")
    assert config.shards == 4
    path.write_text('db = "news.duckdb"\nshards = 2\n')
    with pytest.raises(InputError, match="needs a DuckLake"):
        load_crawl_config(path)
    path.write_text('db = "ducklake:postgres:dbname=news"\nshards = 0\n')
    with pytest.raises(InputError, match="shards must be"):
        load_crawl_config(path)
