"""The ``erlen`` command line, finding the app: every ``--app`` form, ``wsgi.py``/``app.py``
discovery, one-line errors, ``ERLEN_*``/``FLASK_*`` variables and the dotenv files.

The tests invoke the real ``erlen`` group in-process with click's runner, on apps written into a
temp dir that is the working directory (see ``helpers_cli``). ``test_cli_commands`` covers the
commands, ``test_cli_run`` the ``run`` command and real servers.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
import pytest

import erlen
import erlen.cli
import erlen.serving.devserver
from erlen.cli import (
    ErlenGroup,
    NoAppException,
    ScriptInfo,
    find_best_app,
    locate_app,
    prepare_import,
)
from helpers_cli import (  # noqa: F401 - isolated_cli is an autouse fixture
    app_module,
    assert_one_line_error,
    isolated_cli,
    run_cli,
    write,
)

# -- --app: every form ----------------------------------------------------------------------------


def test_app_module_with_app_attribute() -> None:
    app_module("hello.py")
    result = run_cli("--app", "hello", "where")
    assert result.output == "app=demo debug=False\n"


def test_app_short_option_and_module_colon_name() -> None:
    app_module("hello.py", name="website")
    assert run_cli("-A", "hello:website", "where").output == "app=demo debug=False\n"


def test_app_application_attribute_and_single_instance() -> None:
    app_module("one.py", name="application", import_name="first")
    app_module("two.py", name="something_else", import_name="second")
    assert run_cli("--app", "one", "where").output.startswith("app=first ")
    assert run_cli("--app", "two", "where").output.startswith("app=second ")


FACTORY_SOURCE = """\
import click
from erlen import Erlen, current_app

def {factory}(name="plain", *, local_auth=False, tags=()):
    app = Erlen(name)
    app.config["LOCAL_AUTH"] = local_auth
    app.config["TAGS"] = tags

    @app.cli.command()
    def where():
        c = current_app.config
        click.echo(f"app={{current_app.import_name}} auth={{c['LOCAL_AUTH']}} tags={{c['TAGS']}}")

    return app
"""


@pytest.mark.parametrize("factory", ["create_app", "make_app"])
def test_app_factory_found_by_name(factory: str) -> None:
    write("factory_mod.py", FACTORY_SOURCE.format(factory=factory))
    assert run_cli("--app", "factory_mod", "where").output == "app=plain auth=False tags=()\n"


def test_app_factory_call_with_literal_args_and_kwargs() -> None:
    write("factory_mod.py", FACTORY_SOURCE.format(factory="create_app"))
    result = run_cli(
        "--app", "factory_mod:create_app('named', local_auth=True, tags=(1, 'x'))", "where"
    )
    assert result.output == "app=named auth=True tags=(1, 'x')\n"
    result = run_cli("--app", "factory_mod:create_app(local_auth=True)", "where")
    assert result.output == "app=plain auth=True tags=()\n"
    result = run_cli("--app", "factory_mod:create_app()", "where")
    assert result.output == "app=plain auth=False tags=()\n"


def test_app_factory_args_are_never_executed(tmp_path: Path) -> None:
    write("factory_mod.py", FACTORY_SOURCE.format(factory="create_app"))
    marker = tmp_path / "pwned"
    code = f"create_app(open({str(marker)!r}, 'w'))"
    result = run_cli("--app", f"factory_mod:{code}", "where")
    assert_one_line_error(result, "Failed to parse arguments as literal values")
    assert not marker.exists()
    result = run_cli("--app", "factory_mod:create_app(**{'local_auth': True})", "where")
    assert_one_line_error(result, "Failed to parse arguments as literal values")
    for code in (
        "create_app({[1]: 2})",
        "create_app(x)",
        "create_app(*[1])",
        "create_app(1 if 1 else 2)",
    ):
        result = run_cli("--app", f"factory_mod:{code}", "where")
        assert_one_line_error(result, "Failed to parse arguments as literal values")


@pytest.mark.parametrize("attr", ["create_app(", "a.b", "1+1", "create_app()()"])
def test_app_attribute_that_does_not_parse(attr: str) -> None:
    write("factory_mod.py", FACTORY_SOURCE.format(factory="create_app"))
    result = run_cli("--app", f"factory_mod:{attr}", "where")
    assert_one_line_error(result, "Failed to parse")


def test_app_factory_called_with_wrong_arguments() -> None:
    write("factory_mod.py", FACTORY_SOURCE.format(factory="create_app"))
    result = run_cli("--app", "factory_mod:create_app(1, 2, 3)", "where")
    assert_one_line_error(result, "could not be called with the specified arguments")


def test_app_path_to_a_file() -> None:
    app_module("project/web/hello.py", import_name="fromfile")
    assert run_cli("--app", "project/web/hello.py", "where").output.startswith("app=fromfile ")
    del sys.modules["hello"]
    result = run_cli("--app", "project/web/hello.py:app", "where")
    assert result.output.startswith("app=fromfile ")


def test_app_path_to_a_package_folder_src_layout() -> None:
    write("src/hello/__init__.py", FACTORY_SOURCE.format(factory="create_app"))
    assert run_cli("--app", "src/hello", "where").output == "app=plain auth=False tags=()\n"
    assert str(Path("src").resolve()) in sys.path


def test_app_dotted_module_and_file_inside_a_package() -> None:
    write("pkg/__init__.py", "")
    app_module("pkg/web.py", import_name="inpkg")
    assert run_cli("--app", "pkg.web", "where").output.startswith("app=inpkg ")
    del sys.modules["pkg.web"]
    assert run_cli("--app", "pkg/web.py", "where").output.startswith("app=inpkg ")


def test_prepare_import_names_the_module_and_fixes_sys_path(tmp_path: Path) -> None:
    write("outer/pkg/__init__.py", "")
    write("outer/pkg/__init__.py", "")
    write("outer/pkg/sub/__init__.py", "")
    write("outer/pkg/sub/mod.py", "")
    assert prepare_import("outer/pkg/sub/mod.py") == "pkg.sub.mod"
    assert sys.path[0] == str((tmp_path / "outer").resolve())
    assert prepare_import("outer/pkg/sub/__init__.py") == "pkg.sub"
    assert prepare_import("plain") == "plain"
    assert sys.path[0] == str(tmp_path.resolve())


def test_discovery_tries_wsgi_py_then_app_py() -> None:
    app_module("app.py", import_name="from_app_py")
    assert run_cli("where").output.startswith("app=from_app_py ")
    app_module("wsgi.py", import_name="from_wsgi_py")
    assert run_cli("where").output.startswith("app=from_wsgi_py ")


def test_discovery_stops_at_a_wsgi_py_without_an_app() -> None:
    # As Flask: wsgi.py is the app's module once it exists; app.py is not tried after it.
    write("wsgi.py", "x = 1\n")
    app_module("app.py", import_name="from_app_py")
    assert_one_line_error(
        run_cli("where"), "Failed to find an erlen application or factory in module 'wsgi'"
    )


def test_no_app_found_is_one_line() -> None:
    result = run_cli("routes")
    assert_one_line_error(result, "Could not locate an erlen application")


def test_unknown_command_without_an_app_is_a_usage_error_saying_both() -> None:
    # As Flask: with no app to look the command up in, it may be a typo; the usage comes first.
    result = run_cli("where")
    assert result.exit_code == 2
    assert result.stderr.startswith("Usage: erlen [OPTIONS] COMMAND [ARGS]...")
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: No such command 'where'. Could not locate an erlen application")
    assert "FLASK_APP" in last


def test_an_app_that_fails_to_load_is_still_one_line_for_an_unknown_command() -> None:
    write("broken.py", "raise RuntimeError('boom')\n")
    assert_one_line_error(run_cli("--app", "broken", "where"), "While importing 'broken'")


def test_bad_app_values_are_one_line_errors() -> None:
    app_module("hello.py")
    write("two_apps.py", "from erlen import Erlen\na = Erlen('a')\nb = Erlen('b')\n")
    write("no_app.py", "x = 1\n")
    write("not_app.py", "from erlen import Erlen\napp = 'a string'\nreal = Erlen('r')\n")
    cases = {
        "missing_module": "Could not import 'missing_module'",
        "hello:nope": "Failed to find attribute 'nope' in 'hello'",
        "two_apps": "Detected multiple erlen applications in module 'two_apps'",
        "no_app": "Failed to find an erlen application or factory in module 'no_app'",
        "not_app:app": "A valid erlen application was not obtained from 'not_app:app'",
        ":app": "Invalid --app value",
    }
    for value, message in cases.items():
        assert_one_line_error(run_cli("--app", value, "where"), message)


def test_import_error_inside_the_app_names_module_and_error() -> None:
    write("broken.py", "import missing_dependency_xyz\nfrom erlen import Erlen\napp = Erlen('b')\n")
    result = run_cli("--app", "broken", "where")
    assert_one_line_error(result, "While importing 'broken', an error was raised")
    assert "ModuleNotFoundError: No module named 'missing_dependency_xyz'" in result.output
    assert "broken.py, line 1" in result.output


def test_errors_raised_by_the_app_code_are_one_line() -> None:
    write("syntax.py", "from erlen import Erlen\napp = Erlen('s'\n")
    result = run_cli("--app", "syntax", "routes")
    assert_one_line_error(result, "While importing 'syntax', an error was raised: SyntaxError")
    assert "syntax.py, line 2" in result.output
    write("multiline.py", "raise ValueError('first line\\nsecond line')\n")
    result = run_cli("--app", "multiline", "routes")
    assert_one_line_error(result, "ValueError: first line second line")
    write("raising.py", "def create_app():\n    raise KeyError('DATABASE')\n")
    result = run_cli("--app", "raising", "routes")
    assert_one_line_error(result, "While calling 'create_app' in 'raising'")
    assert "KeyError: 'DATABASE'" in result.output


def test_debug_mode_adds_the_traceback_to_an_import_error() -> None:
    write("broken.py", "raise RuntimeError('boom')\n")
    result = run_cli("--debug", "--app", "broken", "where")
    assert result.exit_code == 2
    assert "Traceback" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Error: While importing 'broken'")


def test_locate_and_find_best_app_are_public() -> None:
    app_module("hello.py", import_name="pub")
    assert prepare_import("hello.py") == "hello"
    app = locate_app("hello", None)
    assert isinstance(app, erlen.Erlen) and app.import_name == "pub"
    assert find_best_app(sys.modules["hello"]) is app
    assert locate_app("hello", "app") is app
    assert locate_app("not_there_at_all", None, raise_if_not_found=False) is None
    with pytest.raises(NoAppException):
        locate_app("not_there_at_all", None)


def test_python_api_lets_the_apps_own_errors_through_as_flask() -> None:
    # The command line turns them into one line (above); from Python, the caller gets the error.
    write("raising.py", "def create_app():\n    raise TypeError('bad factory')\n")
    write("boom.py", "raise RuntimeError('boom')\n")
    write("nested.py", "import missing_dependency_xyz\n")
    write("args.py", "from erlen import Erlen\ndef create_app(foo, bar):\n    return Erlen('a')\n")
    assert prepare_import("raising.py") == "raising"  # puts the cwd on sys.path
    with pytest.raises(TypeError, match="bad factory"):
        locate_app("raising", None)
    with pytest.raises(TypeError, match="bad factory"):
        locate_app("raising", "create_app()")
    with pytest.raises(TypeError, match="bad factory"):
        find_best_app(sys.modules["raising"])
    with pytest.raises(RuntimeError, match="boom"):
        locate_app("boom", None)
    # A failing import inside the module, and a factory called with the wrong arguments, are
    # NoAppException (Flask's too), even when a missing module is otherwise tolerated.
    with pytest.raises(NoAppException, match="While importing 'nested'"):
        locate_app("nested", None, raise_if_not_found=False)
    with pytest.raises(NoAppException, match="could not be called with the specified arguments"):
        locate_app("args", None)


# -- environment variables ------------------------------------------------------------------------


def test_erlen_app_and_flask_app_variables() -> None:
    app_module("first.py", import_name="first")
    app_module("second.py", import_name="second")
    os.environ["FLASK_APP"] = "first"
    assert run_cli("where").output.startswith("app=first ")
    os.environ["ERLEN_APP"] = "second"
    assert run_cli("where").output.startswith("app=second ")
    assert run_cli("--app", "first", "where").output.startswith("app=first ")


@pytest.mark.parametrize(
    ("env", "args", "expected"),
    [
        ({}, [], False),
        ({}, ["--debug"], True),
        ({"ERLEN_DEBUG": "1"}, [], True),
        ({"FLASK_DEBUG": "1"}, [], True),
        ({"FLASK_DEBUG": "true"}, ["--no-debug"], False),
        ({"ERLEN_DEBUG": "0", "FLASK_DEBUG": "1"}, [], False),
        ({"ERLEN_DEBUG": "false"}, ["--debug"], True),
    ],
)
def test_debug_flag_option_and_variables(
    env: dict[str, str], args: list[str], expected: bool
) -> None:
    app_module("hello.py")
    os.environ.update(env)
    result = run_cli("--app", "hello", *args, "where")
    assert result.output == f"app=demo debug={expected}\n"


def test_debug_from_the_app_config_is_overridden_by_the_cli() -> None:
    write("dbg.py", "from erlen import Erlen\napp = Erlen('d')\napp.debug = True\n")
    result = run_cli("--app", "dbg", "shell", input="print('debug', app.debug)\n")
    assert "debug False" in result.output


# -- dotenv files ---------------------------------------------------------------------------------


def test_env_files_are_loaded_with_their_precedence() -> None:
    app_module("hello.py")
    write(
        "show.py",
        """\
        import os, click
        from erlen import Erlen
        app = Erlen("show")

        @app.cli.command()
        def show():
            for key in ("A", "B", "C", "D", "E"):
                click.echo(f"{key}={os.environ.get('DOTENV_' + key)}")
        """,
    )
    write(".flaskenv", "DOTENV_A=flaskenv\nDOTENV_B=flaskenv\nDOTENV_C=flaskenv\nFLASK_APP=show\n")
    write(".erlenenv", "DOTENV_B=erlenenv\nDOTENV_C=erlenenv\n")
    write(".env", "DOTENV_C=env\nDOTENV_D=env\n")
    write("custom.env", "DOTENV_D=custom\nDOTENV_E=custom\n")
    os.environ["DOTENV_E"] = "process"
    result = run_cli("-e", "custom.env", "show")
    assert result.output.splitlines() == [
        "A=flaskenv",
        "B=erlenenv",
        "C=env",
        "D=custom",
        "E=process",
    ]
    assert run_cli("--env-file", "custom.env", "show").exit_code == 0


def test_env_file_found_in_a_parent_folder() -> None:
    write(".env", "ERLEN_APP=hello\n")
    app_module("sub/hello.py", import_name="parent_env")
    os.chdir("sub")
    assert run_cli("where").output.startswith("app=parent_env ")


def test_env_file_that_does_not_exist_is_a_usage_error() -> None:
    result = run_cli("-e", "missing.env", "routes")
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_skip_dotenv_variable_turns_the_default_files_off() -> None:
    app_module("hello.py")
    write(".env", "ERLEN_APP=hello\n")
    os.environ["ERLEN_SKIP_DOTENV"] = "1"
    assert_one_line_error(run_cli("routes"), "Could not locate an erlen application")
    write("explicit.env", "ERLEN_APP=hello\n")
    assert run_cli("-e", "explicit.env", "where").output == "app=demo debug=False\n"


def test_without_python_dotenv_files_are_ignored_with_a_hint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "dotenv", None)  # makes `import dotenv` fail
    app_module("hello.py")
    write(".env", "ERLEN_APP=hello\n")
    result = run_cli("where")
    assert "Install python-dotenv" in result.stderr
    assert "Could not locate an erlen application" in result.stderr
    result = run_cli("-e", ".env", "where")
    assert result.exit_code == 2
    assert "python-dotenv must be installed to load an env file" in result.output


def test_custom_group_can_turn_dotenv_off() -> None:
    write(".env", "DOTENV_X=loaded\n")

    @click.group(cls=ErlenGroup, load_dotenv=False, create_app=lambda: erlen.Erlen("x"))
    def manage() -> None:
        pass

    @manage.command()
    def show() -> None:
        click.echo(os.environ.get("DOTENV_X", "unset"))

    assert run_cli("show", group=manage).output == "unset\n"


def test_flaskenv_debug_and_env_file_variable() -> None:
    app_module("hello.py")
    write(".flaskenv", "FLASK_APP=hello\nFLASK_DEBUG=1\n")
    assert run_cli("where").output == "app=demo debug=True\n"
    write("other.env", "FLASK_DEBUG=0\n")
    os.environ["FLASK_ENV_FILE"] = "other.env"
    # The env file wins over .flaskenv, and it was named through FLASK_ENV_FILE.
    assert run_cli("where").output == "app=demo debug=False\n"


def test_script_info_loads_once_and_shares_data() -> None:
    app_module("hello.py", import_name="info_app")
    info = ScriptInfo(app_import_path="hello:app")
    app = info.load_app()
    assert app.import_name == "info_app" and info.load_app() is app
    info.data["key"] = "value"
    built = erlen.Erlen("built")
    assert ScriptInfo(create_app=lambda: built, app_import_path="hello").load_app() is built
    with pytest.raises(NoAppException, match="Failed to find attribute 'nope'"):
        ScriptInfo(app_import_path="hello:nope").load_app()


DISCOVERY_LAYOUTS = {
    "app_and_application": "app = Flask('app')\napplication = Flask('application')\n",
    "application_only": "application = Flask('application')\nother = 1\n",
    "single_other_name": "website = Flask('website')\n",
    "instance_and_factory": "website = Flask('website')\ndef create_app():\n    return Flask('factory')\n",
    "create_and_make": "def make_app():\n    return Flask('make')\ndef create_app():\n    return Flask('create')\n",
    "make_only": "def make_app():\n    return Flask('make')\n",
    "two_instances": "one = Flask('one')\ntwo = Flask('two')\n",
    "factory_needs_args": "def create_app(config):\n    return Flask('x')\n",
    "nothing": "value = 1\n",
}


@pytest.mark.parametrize("layout", sorted(DISCOVERY_LAYOUTS))
def test_discovery_picks_what_flask_picks(layout: str) -> None:
    """The same module, once importing Flask and once erlen: the same app, or both fail."""
    import flask.cli

    picks = []
    for framework, module_cli in (("flask", flask.cli), ("erlen", erlen.cli)):
        name = f"disc_{layout}_{framework}"
        write(f"{name}.py", f"from {framework} import Flask\n" + DISCOVERY_LAYOUTS[layout])
        try:
            picks.append(module_cli.locate_app(module_cli.prepare_import(f"{name}.py"), None).name)
        except module_cli.NoAppException:
            picks.append("NoAppException")
    assert picks[0] == picks[1]
