//! Data files, as in Zola: `load_data(path=…)` in a template reads JSON,
//! TOML, YAML or CSV from the site; paths outside it are refused.

mod common;
use common::*;

const PAGE: &str =
    "{% set d = load_data(path=\"data/figures.json\") %}{{ page.title }}: {{ d.drones }} drones\n";

fn site_loading(template: &str) -> Site {
    Site::basic()
        .file("templates/page.html", template)
        .file("data/figures.json", "{\"drones\": 2}\n")
        .file(
            "data/places.toml",
            "[kremlin]\ncity = \"Moscow\"\nwhen = 2023-05-03\n",
        )
        .file("data/people.yaml", "spokesman:\n  name: Dmitry Peskov\n")
        .file(
            "content/tables/table.csv",
            "place,drones\nKremlin,2\nSenate,1\n",
        )
}

#[test]
fn json_toml_yaml_and_csv_files_load_into_templates() {
    let site = site_loading(
        "{% set j = load_data(path=\"data/figures.json\") %}{% set t = load_data(path=\"data/places.toml\") %}{% set y = load_data(path=\"data/people.yaml\") %}{% set c = load_data(path=\"@/tables/table.csv\") %}{{ j.drones }}|{{ t.kremlin.city }} {{ t.kremlin.when }}|{{ y.spokesman.name }}|{{ c.headers | join(sep=\",\") }}:{% for r in c.records %} {{ r[0] }}={{ r[1] }}{% endfor %}|{{ load_data(path=\"data/figures.json\", format=\"plain\") | trim }}\n",
    );
    site.build().ok();
    assert_eq!(
        site.output("about/index.html"),
        "2|Moscow 2023-05-03|Dmitry Peskov|place,drones: Kremlin=2 Senate=1|{&quot;drones&quot;: 2}\n"
    );
}

#[test]
fn a_data_file_that_does_not_parse_is_an_error_at_its_line_and_the_call() {
    let site = site_loading(PAGE);
    site.breaks_with(
        &[("data/figures.json", b"{\n  \"drones\": ,\n}\n")],
        &[
            "load_data: data/figures.json:2:13: invalid JSON",
            "templates/page.html:1:",
        ],
    );
    site.write("data/figures.json", "{\"drones\": 2}\n");
    site.write(
        "templates/page.html",
        "{% set t = load_data(path=\"data/places.toml\") %}{{ t.kremlin.city }}\n",
    );
    site.write("data/places.toml", "[kremlin]\ncity = \"Moscow\n");
    site.build()
        .fails()
        .stderr_has(&["load_data: data/places.toml:2:", "invalid TOML"]);
    site.write("data/places.toml", "[kremlin]\ncity = \"Moscow\"\n");
    site.write(
        "templates/page.html",
        "{% set c = load_data(path=\"@/tables/table.csv\") %}{{ c.headers }}\n",
    );
    site.write(
        "content/tables/table.csv",
        "place,drones\nKremlin,2\nSenate\n",
    );
    site.build()
        .fails()
        .stderr_has(&["load_data: content/tables/table.csv:3:1: invalid CSV"]);
}

#[test]
fn paths_outside_the_site_are_refused() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.json"), "{\"secret\": 1}").unwrap();
    let secret = outside.path().join("secret.json");
    for (path, why) in [
        (
            secret.display().to_string(),
            "is refused: it is an absolute path",
        ),
        ("data/../config.toml".to_string(), "may not hold `..`"),
        (
            "config.toml".to_string(),
            "load_data reads files in data/, content/, static/ only",
        ),
    ] {
        let site = site_loading(&format!(
            "{{% set d = load_data(path=\"{path}\", format=\"plain\") %}}{{{{ d }}}}\n"
        ));
        site.build()
            .fails()
            .stderr_has(&[why, "templates/page.html:1:"]);
        assert!(!site.has_output("about/index.html"));
    }
    #[cfg(unix)]
    {
        let site = site_loading(PAGE);
        std::os::unix::fs::symlink(&secret, site.path("data/figures.json.link")).unwrap();
        site.write(
            "templates/page.html",
            "{% set d = load_data(path=\"data/figures.json.link\", format=\"json\") %}{{ d }}\n",
        );
        site.build()
            .fails()
            .stderr_has(&["it leads outside data/ (a symlink to"]);
    }
}

#[test]
fn a_missing_file_is_an_error_unless_not_required_and_url_is_refused() {
    let site = site_loading(
        "{% set d = load_data(path=\"data/none.json\", required=false) %}{{ page.title }}{% if d %} has{% endif %}\n",
    );
    site.build().ok();
    assert_eq!(site.output("about/index.html"), "About\n");
    site.write(
        "templates/page.html",
        "{% set d = load_data(path=\"data/none.json\") %}{{ d }}\n",
    );
    site.build()
        .fails()
        .stderr_has(&["load_data: cannot read data/none.json"]);
    site.write(
        "templates/page.html",
        "{% set d = load_data(url=\"https://example.org/x.json\", path=\"data/figures.json\") %}{{ d }}\n",
    );
    site.build().fails().stderr_has(&["url= is not supported"]);
}

#[test]
fn editing_a_data_file_rebuilds_the_pages_that_read_it() {
    let site = site_loading(PAGE);
    site.build().ok();
    assert_eq!(site.output("about/index.html"), "About: 2 drones\n");
    site.write("data/figures.json", "{\"drones\": 3}\n");
    site.build().ok();
    assert_eq!(site.output("about/index.html"), "About: 3 drones\n");
}

#[test]
fn serve_rebuilds_the_pages_when_a_data_file_changes() {
    let site = site_loading(PAGE);
    let (served, cold) = serve_twice(&site, &["data/figures.json"], |site| {
        site.write("data/figures.json", "{\"drones\": 5}\n");
    });
    assert_eq!(served, cold);
    assert_eq!(served["about/index.html"], b"About: 5 drones\n");
}
