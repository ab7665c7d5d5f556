"""erlen.config: Config loaders and ConfigAttribute, with Flask's Config as an oracle."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from datetime import timedelta

import flask
import pytest

from erlen.config import Config, ConfigAttribute

PYFILE = """\
import os
TEST_KEY = "foo"
SECRET_KEY = "config"
lower_key = "ignored"
HERE = os.path.basename(__file__)
"""


@pytest.fixture
def root(tmp_path):
    (tmp_path / "settings.py").write_text(PYFILE)
    (tmp_path / "settings.json").write_text(json.dumps({"TEST_KEY": "foo", "lower": 1}))
    (tmp_path / "settings.toml").write_text('TEST_KEY = "foo"\nSECRET_KEY = "toml"\n')
    return tmp_path


def common_object_test(config):
    assert config["TEST_KEY"] == "foo"
    assert config["SECRET_KEY"] == "config"
    assert "lower_key" not in config


def test_from_pyfile(root):
    config = Config(root)
    assert config.from_pyfile("settings.py") is True
    common_object_test(config)
    assert config["HERE"] == "settings.py"
    assert "os" not in config


def test_from_pyfile_absolute_path(root, tmp_path_factory):
    config = Config(tmp_path_factory.mktemp("elsewhere"))
    assert config.from_pyfile(str(root / "settings.py"))
    common_object_test(config)


def test_from_pyfile_pathlike(root):
    config = Config(root)
    assert config.from_pyfile(root / "settings.py")
    common_object_test(config)


@pytest.mark.parametrize("cls", [Config, flask.Config])
def test_missing_pyfile_message(cls, tmp_path):
    config = cls(tmp_path)
    with pytest.raises(OSError) as exc_info:
        config.from_pyfile("missing.cfg")
    msg = str(exc_info.value)
    assert msg.startswith(
        "[Errno 2] Unable to load configuration file (No such file or directory):"
    )
    assert msg.endswith(f"{os.sep}missing.cfg'")
    assert config.from_pyfile("missing.cfg", silent=True) is False


def test_missing_pyfile_message_matches_flask(tmp_path):
    errors = []
    for cls in (Config, flask.Config):
        with pytest.raises(OSError) as exc_info:
            cls(tmp_path).from_pyfile("missing.cfg")
        errors.append((str(exc_info.value), exc_info.value.errno))
    assert errors[0] == errors[1]


def test_pyfile_that_is_a_directory(tmp_path):
    (tmp_path / "adir").mkdir()
    assert Config(tmp_path).from_pyfile("adir", silent=True) is False
    with pytest.raises(OSError, match="Unable to load configuration file"):
        Config(tmp_path).from_pyfile("adir")


def test_pyfile_errors_propagate(tmp_path):
    (tmp_path / "bad.py").write_text("1 / 0\n")
    with pytest.raises(ZeroDivisionError):
        Config(tmp_path).from_pyfile("bad.py", silent=True)


def test_from_envvar(root, monkeypatch):
    monkeypatch.delenv("ERLEN_TEST_SETTINGS", raising=False)
    config = Config(root)
    with pytest.raises(RuntimeError) as exc_info:
        config.from_envvar("ERLEN_TEST_SETTINGS")
    assert "'ERLEN_TEST_SETTINGS' is not set" in str(exc_info.value)
    assert config.from_envvar("ERLEN_TEST_SETTINGS", silent=True) is False

    monkeypatch.setenv("ERLEN_TEST_SETTINGS", str(root / "settings.py"))
    assert config.from_envvar("ERLEN_TEST_SETTINGS") is True
    common_object_test(config)


def test_from_envvar_missing_file(tmp_path, monkeypatch):
    monkeypatch.setenv("ERLEN_TEST_SETTINGS", "missing.cfg")
    config = Config(tmp_path)
    with pytest.raises(OSError, match=r"Unable to load configuration file \(No such file"):
        config.from_envvar("ERLEN_TEST_SETTINGS")
    assert config.from_envvar("ERLEN_TEST_SETTINGS", silent=True) is False


def test_from_envvar_message_matches_flask(monkeypatch):
    monkeypatch.delenv("ERLEN_TEST_SETTINGS", raising=False)
    messages = []
    for cls in (Config, flask.Config):
        with pytest.raises(RuntimeError) as exc_info:
            cls(".").from_envvar("ERLEN_TEST_SETTINGS")
        messages.append(str(exc_info.value))
    assert messages[0] == messages[1]


ENV = {
    "FLASK_STRING": "value",
    "FLASK_BOOL": "true",
    "FLASK_INT": "1",
    "FLASK_FLOAT": "1.2",
    "FLASK_LIST": "[1, 2]",
    "FLASK_DICT": '{"k": "v"}',
    "FLASK_NULL": "null",
    "FLASK_BAD_JSON": "{not json",
    "FLASK_EXIST__ok": "other",
    "FLASK_EXIST__inner__ik": "2",
    "FLASK_NEW__K": "v",
    "FLASK_NEW__DEEP__X": "[3]",
    "NOT_FLASK_OTHER": "other",
}


def test_from_prefixed_env_matches_flask(monkeypatch):
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    ours = Config(".", {"EXIST": {"ok": "value", "flag": True, "inner": {"ik": 1}}})
    theirs = flask.Config(".", {"EXIST": {"ok": "value", "flag": True, "inner": {"ik": 1}}})
    assert ours.from_prefixed_env() is True
    theirs.from_prefixed_env()
    assert dict(ours) == dict(theirs)
    assert ours["STRING"] == "value"
    assert ours["BOOL"] is True
    assert ours["INT"] == 1
    assert ours["FLOAT"] == 1.2
    assert ours["LIST"] == [1, 2]
    assert ours["DICT"] == {"k": "v"}
    assert ours["NULL"] is None
    assert ours["BAD_JSON"] == "{not json"
    assert ours["EXIST"] == {"ok": "other", "flag": True, "inner": {"ik": 2}}
    assert ours["NEW"] == {"K": "v", "DEEP": {"X": [3]}}
    assert "OTHER" not in ours and "NOT_FLASK_OTHER" not in ours


def test_from_prefixed_env_custom_prefix_and_loads(monkeypatch):
    monkeypatch.setenv("ERLEN_A", "3")
    monkeypatch.setenv("ERLEN_B", "x")
    monkeypatch.setenv("FLASK_C", "1")
    config = Config(".")
    config.from_prefixed_env("ERLEN", loads=lambda v: v * 2)
    assert config == {"A": "33", "B": "xx"}


def test_from_prefixed_env_sorted_order(monkeypatch):
    # FLASK_X is applied before FLASK_X__Y, so the dict replaces the scalar's value
    monkeypatch.setenv("FLASK_X", "{}")
    monkeypatch.setenv("FLASK_X__Y", "1")
    config = Config(".")
    config.from_prefixed_env()
    assert config["X"] == {"Y": 1}


class Base:
    TEST_KEY = "foo"
    SECRET_KEY = "config"
    lower_key = "ignored"


class Child(Base):
    SECRET_KEY = "child"


def test_from_object_class_and_instance():
    config = Config(".")
    config.from_object(Base)
    common_object_test(config)
    config = Config(".")
    config.from_object(Child())
    assert config["SECRET_KEY"] == "child"
    assert config["TEST_KEY"] == "foo"


def test_from_object_import_string(tmp_path, monkeypatch):
    pkg = tmp_path / "erlen_cfgpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "settings.py").write_text(
        textwrap.dedent(
            """
            TEST_KEY = "foo"
            SECRET_KEY = "config"
            lower_key = "ignored"

            class Production:
                SECRET_KEY = "prod"
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        config = Config(".")
        config.from_object("erlen_cfgpkg.settings")
        common_object_test(config)

        for name in ("erlen_cfgpkg.settings.Production", "erlen_cfgpkg.settings:Production"):
            config = Config(".")
            config.from_object(name)
            assert config == {"SECRET_KEY": "prod"}

        with pytest.raises(ImportError):
            Config(".").from_object("erlen_cfgpkg.settings.Missing")
        with pytest.raises(ImportError):
            Config(".").from_object("erlen_cfgpkg.nomodule")
        with pytest.raises(ImportError):
            Config(".").from_object("erlen_no_such_top_level_module")
    finally:
        for mod in [m for m in sys.modules if m.startswith("erlen_cfgpkg")]:
            del sys.modules[mod]


def test_from_object_import_error_inside_module(tmp_path, monkeypatch):
    (tmp_path / "erlen_cfg_broken.py").write_text("import erlen_missing_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with pytest.raises(ModuleNotFoundError, match="erlen_missing_dependency"):
            Config(".").from_object("erlen_cfg_broken")
    finally:
        sys.modules.pop("erlen_cfg_broken", None)


def test_from_file_json(root):
    config = Config(root)
    assert config.from_file("settings.json", load=json.load) is True
    assert config == {"TEST_KEY": "foo"}


def test_from_file_text_and_binary_modes(root):
    # NOTE: tomllib.load needs a binary file, hence text=False; this loader records the mode.
    seen = []

    def load(f):
        data = f.read()
        seen.append(type(data))
        return {"TEST_KEY": "foo", "SECRET_KEY": "toml"} if data else {}

    config = Config(root)
    assert config.from_file("settings.toml", load=load, text=False) is True
    assert config == {"TEST_KEY": "foo", "SECRET_KEY": "toml"}
    Config(root).from_file("settings.toml", load=load)
    assert seen == [bytes, str]


def test_from_file_missing(tmp_path):
    config = Config(tmp_path)
    with pytest.raises(OSError) as exc_info:
        config.from_file("missing.json", load=json.load)
    assert "Unable to load configuration file (No such file or directory)" in str(exc_info.value)
    assert "missing.json" in str(exc_info.value)
    assert config.from_file("missing.json", load=json.load, silent=True) is False


def test_from_mapping():
    expected = {"SECRET_KEY": "config", "TEST_KEY": "foo"}
    config = Config(".")
    assert config.from_mapping({"SECRET_KEY": "config", "TEST_KEY": "foo"}) is True
    assert config == expected
    config = Config(".")
    config.from_mapping([("SECRET_KEY", "config"), ("TEST_KEY", "foo")])
    assert config == expected
    config = Config(".")
    config.from_mapping(SECRET_KEY="config", TEST_KEY="foo", skip_me="x")
    assert config == expected
    config = Config(".")
    config.from_mapping({"SECRET_KEY": "mapping"}, SECRET_KEY="kwarg")
    assert config == {"SECRET_KEY": "kwarg"}
    with pytest.raises(TypeError):
        config.from_mapping({}, {})


def test_get_namespace():
    values = {
        "FOO_OPTION_1": "foo option 1",
        "FOO_OPTION_2": "foo option 2",
        "BAR_STUFF_1": "bar stuff 1",
        "BAR_STUFF_2": "bar stuff 2",
    }
    ours, theirs = Config("."), flask.Config(".")
    ours.update(values)
    theirs.update(values)
    for kwargs in (
        {},
        {"lowercase": False},
        {"trim_namespace": False},
        {"lowercase": False, "trim_namespace": False},
    ):
        for ns in ("FOO_", "BAR_STUFF_", "NONE_"):
            assert ours.get_namespace(ns, **kwargs) == theirs.get_namespace(ns, **kwargs)
    assert ours.get_namespace("FOO_") == {"option_1": "foo option 1", "option_2": "foo option 2"}
    assert ours.get_namespace("BAR_", lowercase=False, trim_namespace=False) == {
        "BAR_STUFF_1": "bar stuff 1",
        "BAR_STUFF_2": "bar stuff 2",
    }


def test_init_and_repr(tmp_path):
    config = Config(tmp_path, {"A": 1})
    assert config.root_path == tmp_path
    assert config == {"A": 1}
    assert repr(config) == "<Config {'A': 1}>"
    assert repr(Config(".")) == repr(flask.Config("."))

    class MyConfig(Config):
        pass

    assert repr(MyConfig(".", {"B": 2})) == "<MyConfig {'B': 2}>"


def test_defaults_are_copied():
    defaults = {"A": 1}
    config = Config(".", defaults)
    config["A"] = 2
    assert defaults == {"A": 1}


class FakeApp:
    testing = ConfigAttribute[bool]("TESTING")
    lifetime = ConfigAttribute[timedelta](
        "LIFETIME", get_converter=lambda v: v if isinstance(v, timedelta) else timedelta(seconds=v)
    )

    def __init__(self):
        self.config = Config(".", {"TESTING": False, "LIFETIME": 60})


def test_config_attribute():
    app = FakeApp()
    assert app.testing is False
    app.testing = True
    assert app.config["TESTING"] is True
    assert app.testing is True
    app.config["TESTING"] = False
    assert app.testing is False


def test_config_attribute_converter():
    app = FakeApp()
    assert app.lifetime == timedelta(seconds=60)
    app.lifetime = 30
    assert app.config["LIFETIME"] == 30
    assert app.lifetime == timedelta(seconds=30)


def test_config_attribute_on_class():
    attr = FakeApp.testing
    assert isinstance(attr, ConfigAttribute)
    assert attr.__name__ == "TESTING"


def test_config_attribute_missing_key():
    app = FakeApp()
    del app.config["TESTING"]
    with pytest.raises(KeyError):
        app.testing  # noqa: B018
