"""config.yaml: the shipped file, the config model, and one exact message per validation (the YAML reader under it:
test_yaml_reader.py)."""

from __future__ import annotations

import ast
import dataclasses
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from checkins.config.app import GroupConfig, HealthConfig, load_config
from checkins.config.yamlsource import ConfigError

REPO = Path(__file__).resolve().parent.parent

# Line numbers in the cases below refer to this text (after the case's replacement).
BASE_CONFIG = """\
timezone: Europe/Helsinki
default_language: fi
storage: {path: data/k.sqlite3}
supervisors:
  - user_id: 1001
    name: Sanna Virtanen
    language: sv
groups:
  - id: ward5
    name: Osasto 5
    supervisor: 1001
    flow: pre_session
    min_responses: 3
"""
SECOND_GROUP = "  - {id: ward6, name: Osasto 6, supervisor: 1001, flow: pre_session}\n"


def write_setup(directory: Path, config_text: str) -> Path:
    """A config file next to a flows/ folder holding the shipped flow."""
    (directory / "flows").mkdir(exist_ok=True)
    shutil.copy(REPO / "flows" / "pre_session.yaml", directory / "flows" / "pre_session.yaml")
    path = directory / "config.yaml"
    path.write_text(config_text, encoding="utf-8")
    return path


def config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> ConfigError:
    # Load by relative path so the message shows the file as a user would have named it.
    monkeypatch.chdir(tmp_path)
    write_setup(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(Path("config.yaml"))
    return caught.value


# --- the shipped config ---


def test_shipped_config_loads() -> None:
    config = load_config(REPO / "config.yaml")

    assert config.timezone == ZoneInfo("Europe/Helsinki")
    assert config.default_language == "fi"
    assert config.storage_path == REPO / "data" / "kierros.sqlite3"
    assert config.api_base_url is None
    assert config.invite_expiry_days == 30
    assert list(config.flows) == ["interim_evaluation", "post_session", "pre_session", "wellbeing_pulse"]
    [supervisor] = config.supervisors.values()
    group = config.groups["tiimi"]
    assert (group.name, group.supervisor_id, group.flow_id) == (
        "Kotihoidon tiimi",
        supervisor.user_id,
        "pre_session",
    )
    assert (group.min_responses, group.text_min_responses, group.redact_names) == (3, 3, ())
    assert config.supervisor_groups(supervisor.user_id) == (group,)
    assert config.health is None


# --- model ---


def test_full_config_is_read_into_typed_values(tmp_path: Path) -> None:
    text = BASE_CONFIG + "    text_min_responses: 4\n    redact_names: [Maija Meikäläinen, ' Pekka ']\n"
    text += SECOND_GROUP
    text += "telegram: {api_base_url: 'http://127.0.0.1:8081/bot'}\ninvites: {expiry_days: 7}\n"
    config = load_config(write_setup(tmp_path, text))

    ward5, ward6 = config.groups.values()
    assert ward5 == GroupConfig("ward5", "Osasto 5", 1001, "pre_session", 3, 4, ("Maija Meikäläinen", "Pekka"))
    assert (ward6.min_responses, ward6.text_min_responses) == (3, 3)
    assert config.supervisors[1001].language == "sv"
    assert config.api_base_url == "http://127.0.0.1:8081/bot"
    assert config.invite_expiry_days == 7
    assert config.supervisor_groups(1001) == (ward5, ward6)
    assert config.supervisor_groups(999) == ()


def test_health_endpoint_is_off_unless_configured(tmp_path: Path) -> None:
    assert load_config(write_setup(tmp_path, BASE_CONFIG)).health is None
    assert load_config(write_setup(tmp_path, BASE_CONFIG + "health: {}\n")).health == HealthConfig("127.0.0.1", 9464)
    configured = load_config(write_setup(tmp_path, BASE_CONFIG + "health: {listen: 0.0.0.0, port: 9100}\n"))
    assert configured.health == HealthConfig("0.0.0.0", 9100)


def test_supervisor_language_defaults_to_the_config_language(tmp_path: Path) -> None:
    text = BASE_CONFIG.replace("    language: sv\n", "").replace("default_language: fi", "default_language: en")
    config = load_config(write_setup(tmp_path, text))
    assert config.supervisors[1001].language == "en"


def test_group_text_threshold_defaults_to_min_responses() -> None:
    assert GroupConfig("g", "G", 1, "f", min_responses=4).text_min_responses == 4


def test_relative_storage_path_is_resolved_against_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_dir = tmp_path / "etc" / "kierros"
    config_dir.mkdir(parents=True)
    write_setup(config_dir, BASE_CONFIG)
    monkeypatch.chdir(tmp_path)  # started from elsewhere: the path must not depend on the working folder

    config = load_config(Path("etc/kierros/config.yaml"))

    assert config.storage_path == (config_dir / "data" / "k.sqlite3").resolve()
    assert config.flows["pre_session"].source == Path("etc/kierros/flows/pre_session.yaml")


def test_absolute_storage_path_is_kept(tmp_path: Path) -> None:
    database = tmp_path / "elsewhere" / "db.sqlite3"
    config = load_config(write_setup(tmp_path, BASE_CONFIG.replace("data/k.sqlite3", str(database))))
    assert config.storage_path == database.resolve()


def test_config_is_frozen(tmp_path: Path) -> None:
    config = load_config(write_setup(tmp_path, BASE_CONFIG))
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.default_language = "sv"  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.groups["new"] = config.groups["ward5"]  # type: ignore[index]


# --- validation: one exact message per problem ---

ERROR_CASES = [
    pytest.param(
        ("min_responses: 3", "min_responses: 1"),
        "config.yaml:13: groups[0].min_responses: must be at least 2 (got 1)",
        id="min-responses-below-two",
    ),
    pytest.param(
        ("min_responses: 3", "min_respones: 3"),
        "config.yaml:13: groups[0].min_respones: unknown key 'min_respones' (did you mean 'min_responses'?)",
        id="unknown-key-suggestion",
    ),
    pytest.param(
        ("min_responses: 3", "min_responses: yes"),
        "config.yaml:13: groups[0].min_responses: must be a whole number (got yes, which YAML reads as true/false)",
        id="bool-is-not-a-count",
    ),
    pytest.param(
        ("min_responses: 3", "min_responses: 3\n    text_min_responses: 2"),
        "config.yaml:14: groups[0].text_min_responses: must be at least min_responses (3) (got 2)",
        id="text-threshold-below-min-responses",
    ),
    pytest.param(
        ("supervisor: 1001", "supervisor: 1002"),
        "config.yaml:11: groups[0].supervisor: no supervisor with user_id 1002 (listed: 1001)",
        id="unknown-supervisor",
    ),
    pytest.param(
        ("flow: pre_session", "flow: pre_sesion"),
        "config.yaml:12: groups[0].flow: unknown flow 'pre_sesion'"
        " (did you mean 'pre_session'? available: pre_session)",
        id="unknown-flow",
    ),
    pytest.param(
        ("flow: pre_session", "flow: evaluation"),
        "config.yaml:12: groups[0].flow: unknown flow 'evaluation' (available: pre_session)",
        id="unknown-flow-no-suggestion",
    ),
    pytest.param(
        ("    min_responses: 3\n", "    min_responses: 3\n" + SECOND_GROUP.replace("ward6", "ward5")),
        "config.yaml:14: groups[1].id: duplicate group id 'ward5' (already used at line 9)",
        id="duplicate-group-id",
    ),
    pytest.param(
        ("    min_responses: 3\n", "    min_responses: 3\n" + SECOND_GROUP.replace("ward6", "' ward5 '")),
        "config.yaml:14: groups[1].id: duplicate group id ' ward5 ' (already used at line 9)",
        id="duplicate-group-id-with-spaces",
    ),
    pytest.param(
        ("groups:", "  - {user_id: 1001, name: Toinen}\ngroups:"),
        "config.yaml:8: supervisors[1].user_id: duplicate supervisor user_id 1001 (already used at line 5)",
        id="duplicate-supervisor-id",
    ),
    pytest.param(
        ("id: ward5", "id: Ward 5"),
        "config.yaml:9: groups[0].id: must be 1–32 characters of a-z, 0-9, _ and -,"
        " starting with a letter or digit (got 'Ward 5')",
        id="bad-group-id",
    ),
    pytest.param(
        ("user_id: 1001", "user_id: '1001'"),
        "config.yaml:5: supervisors[0].user_id: must be a whole number (got '1001')",
        id="user-id-is-text",
    ),
    pytest.param(
        ("name: Osasto 5", "name: 2024"),
        'config.yaml:10: groups[0].name: must be text (got 2024; write "2024" in quotes)',
        id="name-is-a-number",
    ),
    pytest.param(
        ("    min_responses: 3\n", "    redact_names: [Maija, '']\n"),
        "config.yaml:13: groups[0].redact_names[1]: must not be empty",
        id="empty-redact-name",
    ),
    pytest.param(
        ("timezone: Europe/Helsinki", "timezone: Europe/Helsinky"),
        "config.yaml:1: timezone: unknown time zone 'Europe/Helsinky' (did you mean 'Europe/Helsinki'?)",
        id="unknown-timezone",
    ),
    pytest.param(
        ("timezone: Europe/Helsinki\n", ""),
        "config.yaml: timezone: required key is missing",
        id="missing-timezone",
    ),
    pytest.param(
        ("default_language: fi", "default_language: de"),
        "config.yaml:2: default_language: must be one of: fi, sv, en (got 'de')",
        id="unknown-language",
    ),
    pytest.param(
        ("storage: {path: data/k.sqlite3}", "storage: {pth: data/k.sqlite3}"),
        "config.yaml:3: storage.pth: unknown key 'pth' (did you mean 'path'?)",
        id="unknown-storage-key",
    ),
    pytest.param(
        ("storage:", "telegram:\n  token: '123:abc'\nstorage:"),
        "config.yaml:4: telegram.token: never put the bot token in this file:"
        " set the TELEGRAM_BOT_TOKEN environment variable",
        id="token-in-telegram-section",
    ),
    pytest.param(
        ("storage:", "bot_token: '123:abc'\nstorage:"),
        "config.yaml:3: bot_token: never put the bot token in this file:"
        " set the TELEGRAM_BOT_TOKEN environment variable",
        id="token-at-top-level",
    ),
    pytest.param(
        ("storage:", "telegram: {api_base_url: 'localhost:8081/bot'}\nstorage:"),
        "config.yaml:3: telegram.api_base_url: must start with http:// or https:// (got 'localhost:8081/bot')",
        id="api-url-without-scheme",
    ),
    pytest.param(
        ("storage:", "invites:\n  expiry_days: 0\nstorage:"),
        "config.yaml:4: invites.expiry_days: must be between 1 and 365 (got 0)",
        id="invite-expiry-out-of-range",
    ),
    pytest.param(
        ("storage:", "health:\n  port: 70000\nstorage:"),
        "config.yaml:4: health.port: must be between 1 and 65535 (got 70000)",
        id="health-port-out-of-range",
    ),
    pytest.param(
        ("storage:", "health: {listen: 127.0.0.1, path: /health}\nstorage:"),
        "config.yaml:3: health.path: unknown key 'path' (expected one of: listen, port)",
        id="health-unknown-key",
    ),
    pytest.param(
        ("storage:", "health: 9464\nstorage:"),
        "config.yaml:3: health: must be a mapping (key: value lines) (got 9464)",
        id="health-not-a-section",
    ),
    pytest.param(
        ("storage:", "flows_dir: nowhere\nstorage:"),
        "config.yaml:3: flows_dir: flows folder not found: nowhere",
        id="missing-flows-folder",
    ),
    pytest.param(
        (
            "supervisors:\n  - user_id: 1001\n    name: Sanna Virtanen\n    language: sv\n",
            "supervisors: []\n",
        ),
        "config.yaml:4: supervisors: needs at least 1 entry (got 0)",
        id="no-supervisors",
    ),
    pytest.param(
        ("groups:", "remind_later: soon\ngroups:"),
        "config.yaml:8: remind_later: 'soon' is not a duration: write e.g. 3d, 4h, 90m or 1d 12h (or ISO 8601 such as "
        "P3D, PT90M); months and years vary in length and are not allowed",
        id="remind-later-not-a-duration",
    ),
    pytest.param(
        ("groups:", "groups: {ward5: Osasto 5}\nold_groups:"),
        "config.yaml:9: old_groups: unknown key 'old_groups' (did you mean 'groups'?)",
        id="unknown-top-level-key",
    ),
    pytest.param(
        ("groups:", "groups: {}\nold:"),
        "config.yaml:9: old: unknown key 'old' (expected one of: timezone, default_language, storage,"
        " telegram, flows_dir, invites, privacy, quiet_hours, reminder_gap, remind_later, health, supervisors,"
        " groups)",
        id="unknown-key-without-suggestion",
    ),
    pytest.param(
        ("timezone: Europe/Helsinki\n", "timezone: Europe/Helsinki\ntimezone: UTC\n"),
        "config.yaml:2: timezone: duplicate key (first defined at line 1)",
        id="duplicate-key",
    ),
    pytest.param(
        ("    name: Sanna Virtanen\n", "    name: Sanna Virtanen\n    name: Sanna V\n"),
        "config.yaml:7: supervisors[0].name: duplicate key (first defined at line 6)",
        id="duplicate-nested-key",
    ),
    pytest.param(
        ("storage: {path: data/k.sqlite3}", "storage: {path: [data/k.sqlite3}"),
        "config.yaml:3: invalid YAML: expected ',' or ']', but got '}' (while parsing a flow sequence);"
        " inside { } or [ ], put a text that contains ? : or , in quotes",
        id="yaml-syntax-error",
    ),
    pytest.param(
        ("    name: Osasto 5\n", "    name: Osasto 5\n\tflow: x\n"),
        "config.yaml:11: invalid YAML: found character '\\t' that cannot start any token"
        " (while scanning for the next token)",
        id="tab-indentation",
    ),
]


@pytest.mark.parametrize(("replacement", "expected"), ERROR_CASES)
def test_config_validation_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, replacement: tuple[str, str], expected: str
) -> None:
    old, new = replacement
    assert old in BASE_CONFIG
    error = config_error(tmp_path, monkeypatch, BASE_CONFIG.replace(old, new, 1))
    assert str(error) == expected


def test_error_carries_file_line_key_and_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    error = config_error(tmp_path, monkeypatch, BASE_CONFIG.replace("min_responses: 3", "min_responses: 1"))
    assert (error.file, error.line, error.key, error.problem) == (
        Path("config.yaml"),
        13,
        "groups[0].min_responses",
        "must be at least 2 (got 1)",
    )


def test_flow_errors_name_the_flow_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_setup(tmp_path, BASE_CONFIG)
    broken = (tmp_path / "flows" / "pre_session.yaml").read_text(encoding="utf-8").replace("max: 5", "max: 1")
    (tmp_path / "flows" / "pre_session.yaml").write_text(broken, encoding="utf-8")
    line = broken.splitlines().index("    max: 1") + 1

    with pytest.raises(ConfigError) as caught:
        load_config(Path("config.yaml"))

    assert str(caught.value) == f"flows/pre_session.yaml:{line}: questions[0].max: must be greater than min (1) (got 1)"


def test_empty_flows_folder_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_setup(tmp_path, BASE_CONFIG.replace("storage:", "flows_dir: empty\nstorage:"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError) as caught:
        load_config(Path("config.yaml"))
    assert str(caught.value) == "config.yaml:3: flows_dir: no flow files (*.yaml) in empty"


# --- architecture ---


def test_domain_package_does_not_import_telegram() -> None:
    for module in (REPO / "checkins").glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
        imported += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        assert not [name for name in imported if name.split(".")[0] == "telegram"], module.name


def test_a_postgresql_url_replaces_the_sqlite_path(tmp_path: Path) -> None:
    text = BASE_CONFIG.replace("storage: {path: data/k.sqlite3}", "storage: {url: 'postgresql://kierros@db/kierros'}")
    config = load_config(write_setup(tmp_path, text))
    assert config.storage_url == "postgresql://kierros@db/kierros"
    assert config.storage_target == "postgresql://kierros@db/kierros"


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ("{url: 'postgresql://kierros:secret@db/kierros'}", "no password here: put it in the PGPASSWORD"),
        ("{url: 'postgresql://kierros@db/kierros?password=secret'}", "no password here"),
        ("{url: 'mysql://kierros@db/kierros'}", "must start with postgresql://"),
        ("{path: k.sqlite3, url: 'postgresql://kierros@db/kierros'}", "give either path (SQLite) or url"),
    ],
)
def test_a_wrong_storage_url_is_one_line(tmp_path: Path, section: str, problem: str) -> None:
    text = BASE_CONFIG.replace("storage: {path: data/k.sqlite3}", f"storage: {section}")
    with pytest.raises(ConfigError) as caught:
        load_config(write_setup(tmp_path, text))
    message = str(caught.value)
    assert problem in message and "config.yaml:" in message and "secret" not in message
