"""Pictures, the step player and the report as a person sees them: in headless Chromium.

Driven with Selenium through Debian's ``chromium`` and ``chromium-driver`` (``.ci/run``
installs them); skipped, saying why, where either or Selenium is missing. One browser
serves the whole module, its viewport 1280 × 720, a laptop or a projector. Each test
writes a screenshot of the page it judged to ``tests/screenshots/`` (or to the folder
``PATHGRAD_SCREENSHOTS`` names) for a person to look at.
"""

import os
import shutil
from pathlib import Path

import pytest

from pathgrad.explanation import explain
from pathgrad.pictures.drawing import draw, steps
from pathgrad.pictures.html import page
from pathgrad.render import report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
WIDTH, HEIGHT = 1280, 720
SHOTS = Path(os.environ.get("PATHGRAD_SCREENSHOTS") or Path(__file__).parent / "screenshots")

webdriver = pytest.importorskip(
    "selenium.webdriver", reason='Selenium is not installed: pip install ".[test]"'
)
if CHROMIUM is None or not os.path.exists(DRIVER):
    pytest.skip(
        "headless Chromium is not installed: apt-get install chromium chromium-driver",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def browser():
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu"):
        options.add_argument(argument)
    try:
        driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    except Exception as err:  # a driver that does not match the browser, no shared memory...
        pytest.skip(f"headless Chromium did not start: {str(err).splitlines()[0]}")
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False},
    )
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def mlp():
    return explain("mlp")


def open_page(browser, folder, name, html):
    path = folder / name
    path.write_text(html, encoding="utf-8")
    browser.get(path.as_uri())
    return browser


def screenshot(browser, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / name))


def keys(browser, *presses):
    """Keys pressed as a person would: to whatever has the focus, no click first."""
    from selenium.webdriver.common.action_chains import ActionChains

    chain = ActionChains(browser)
    for key in presses:
        chain.send_keys(key)
    chain.perform()


def counter(browser):
    return browser.find_element("css selector", ".counter").text


ACTIVE = """
var root = document.querySelector(".pathgrad-steps"), figure = root.querySelector(".figure");
var frames = JSON.parse(root.querySelector("script.frames").textContent);
var step = +root.querySelector("input.step").value, v = figure.getBoundingClientRect();
var nodes = frames[step].f.map(function (n) {
  var node = root.querySelector('g.node[data-node="' + n + '"]'), b = node.getBoundingClientRect();
  return {active: node.classList.contains("pg-active"), box: [b.left, b.top, b.right, b.bottom]};
});
return {step: step, nodes: nodes,
  lit: root.querySelectorAll("g.edge.pg-active").length, edges: frames[step].e.length,
  figure: [v.left + figure.clientLeft, v.top + figure.clientTop,
           v.left + figure.clientLeft + figure.clientWidth,
           v.top + figure.clientTop + figure.clientHeight],
  window: [0, 0, window.innerWidth, window.innerHeight]};
"""


def seen_nodes(seen):
    """The step's active nodes a person sees: inside the window and the figure's box."""
    return [
        n
        for n in seen["nodes"]
        if inside(n["box"], seen["window"]) and inside(n["box"], seen["figure"])
    ]


def fits(seen):
    """Whether all the step's nodes could be seen at once in the figure."""
    boxes = [n["box"] for n in seen["nodes"]]
    width = max(b[2] for b in boxes) - min(b[0] for b in boxes)
    height = max(b[3] for b in boxes) - min(b[1] for b in boxes)
    figure = seen["figure"]
    return width <= figure[2] - figure[0] - 48 and height <= figure[3] - figure[1] - 48


def inside(box, frame):
    return (
        box[0] >= frame[0] - 0.5
        and box[1] >= frame[1] - 0.5
        and (box[2] <= frame[2] + 0.5 and box[3] <= frame[3] + 0.5)
    )


# -- the step player ---------------------------------------------------------------------------


def test_player_has_the_keyboard_on_load(browser, mlp, tmp_path):
    from selenium.webdriver.common.keys import Keys

    open_page(browser, tmp_path, "mlp.html", steps(mlp).html)
    assert browser.execute_script("return document.activeElement.className") == "pathgrad-steps"
    total = counter(browser).split("/ ")[1]
    keys(browser, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    assert counter(browser) == f"step 3 / {total}"
    keys(browser, Keys.ARROW_LEFT, Keys.END)
    assert counter(browser) == f"step {total} / {total}"
    keys(browser, Keys.HOME)
    assert counter(browser) == f"step 1 / {total}"
    screenshot(browser, "player-mlp-step-1.png")


@pytest.mark.parametrize(
    "direction, present",
    [("auto", False), ("LR", False), ("auto", True), ("LR", True)],
    ids=["auto", "LR", "auto-presenter", "LR-presenter"],
)
def test_every_step_keeps_its_operation_in_view(browser, mlp, tmp_path, direction, present):
    """The mlp player at 1280 × 720: whatever step, the operation it is about can be seen
    (inside the window and inside the figure's scrolled box), without a click or a scroll."""
    from selenium.webdriver.common.keys import Keys

    story = steps(mlp, direction=direction, present=present)
    open_page(browser, tmp_path, "mlp.html", story.html)
    name = f"player-mlp-{direction}{'-presenter' if present else ''}"
    for step in range(len(story)):
        seen = browser.execute_script(ACTIVE)
        assert seen["step"] == step and all(n["active"] for n in seen["nodes"])
        assert seen["lit"] == seen["edges"]  # its edges are pg-active too
        if seen["nodes"]:  # all of them when they fit, else as many as fit from the first
            visible = seen_nodes(seen)
            assert visible == seen["nodes"] if fits(seen) else visible, (step + 1, seen)
        if step in (0, 18, 22):  # the leaves; the backward pass begins (issue 16: 18-23)
            screenshot(browser, f"{name}-step-{step + 1}.png")
        keys(browser, Keys.ARROW_RIGHT)
    assert counter(browser) == f"step {len(story)} / {len(story)}"


SCALE = """
var figure = document.querySelector(".figure"), svg = figure.querySelector("svg");
var b = svg.getBoundingClientRect();
return {width: b.width, height: b.height, natural: svg.viewBox.baseVal.width,
  room: [figure.clientWidth, figure.clientHeight],
  zoom: document.querySelector(".zoom").textContent,
  present: document.querySelector(".pathgrad-steps").classList.contains("pg-present"),
  heading: parseFloat(getComputedStyle(document.querySelector(".heading")).fontSize)};
"""


def test_zoom_and_fit_change_the_visible_scale(browser, mlp, tmp_path):
    open_page(browser, tmp_path, "mlp.html", steps(mlp, direction="LR").html)
    start = browser.execute_script(SCALE)
    assert start["zoom"] == "100%" and start["width"] == pytest.approx(start["natural"], abs=1)
    keys(browser, "+")
    bigger = browser.execute_script(SCALE)
    assert bigger["width"] == pytest.approx(1.25 * start["width"], rel=0.01)
    assert bigger["zoom"] == "125%"
    keys(browser, "-", "-")
    assert browser.execute_script(SCALE)["width"] == pytest.approx(start["width"] / 1.25, rel=0.01)
    keys(browser, "0")  # the whole graph in the figure
    fitted = browser.execute_script(SCALE)
    assert fitted["width"] <= fitted["room"][0] + 1 and fitted["width"] < start["width"] / 2
    screenshot(browser, "player-mlp-LR-fit.png")
    browser.execute_script(  # Ctrl + wheel (a trackpad's pinch) zooms in around the pointer
        "var f = document.querySelector('.figure'), b = f.getBoundingClientRect();"
        "f.dispatchEvent(new WheelEvent('wheel', {deltaY: -250, ctrlKey: true, bubbles: true,"
        " cancelable: true, clientX: b.left + 100, clientY: b.top + 100}));"
    )
    wheeled = browser.execute_script(SCALE)
    assert wheeled["width"] > 1.5 * fitted["width"]
    keys(browser, "p")  # presenter mode: large type, the picture large
    shown = browser.execute_script(SCALE)
    assert shown["present"] and shown["heading"] >= 1.8 * start["heading"]
    assert shown["width"] >= 1.4 * start["natural"] - 1
    screenshot(browser, "player-mlp-LR-presenter.png")
    keys(browser, "p")
    assert not browser.execute_script(SCALE)["present"]


# -- pictures, the report and a notebook's output -------------------------------------------

OVERFLOW = """
var page = document.documentElement, out = [];
document.querySelectorAll("table").forEach(function (table) {
  var box = table.closest(".pg-scroll"), t = table.getBoundingClientRect();
  var b = box ? box.getBoundingClientRect() : null, style = box ? getComputedStyle(box) : null;
  out.push({box: !!box, scrolls: box ? box.scrollWidth > box.clientWidth + 1 : false,
    overflow: style ? style.overflowX : null, table: [t.left, t.right, t.width],
    within: b ? [b.left, b.right] : null, reachable: box ? box.scrollWidth >= t.width - 1 : null});
});
var figures = [];
document.querySelectorAll("svg.pathgrad").forEach(function (svg) {
  var s = svg.getBoundingClientRect(), p = svg.parentElement.getBoundingClientRect();
  var scrolls = /auto|scroll/.test(getComputedStyle(svg.parentElement).overflowX);
  figures.push({svg: [s.left, s.right], parent: [p.left, p.right], scrolls: scrolls});
});
return {page: page.scrollWidth, window: window.innerWidth, tables: out, figures: figures,
  container: document.querySelector("#cell") ? document.querySelector("#cell")
    .getBoundingClientRect().right : window.innerWidth};
"""


def check_overflow(seen):
    assert seen["page"] <= seen["window"], "the page scrolls sideways"
    assert seen["tables"], "no table on the page"
    for table in seen["tables"]:
        assert table["box"], "a table outside a scroll box"
        left, right = table["within"]
        assert right <= seen["container"] + 1  # the box stays on the page (in the cell)
        assert table["reachable"]  # every column can be scrolled to: none is cut
        if table["table"][1] > right + 1:  # wider than its box: the box scrolls, by itself
            assert table["scrolls"] and table["overflow"] in ("auto", "scroll"), table
    for figure in seen["figures"]:  # scaled to its box, or shown at full size in a scroll box
        within = figure["svg"][1] <= figure["parent"][1] + 1
        assert within or figure["scrolls"], "a picture runs out of its box"
        assert figure["parent"][1] <= seen["container"] + 1


@pytest.mark.parametrize("name", ["mlp", "micrograd"])
def test_report_tables_never_run_off_the_page(browser, tmp_path, name):
    e = explain(name)
    open_page(browser, tmp_path, f"{name}-report.html", report.render(e))
    seen = browser.execute_script(OVERFLOW)
    check_overflow(seen)
    if name == "mlp":  # its long products wrap inside their column: no table needs to scroll
        assert not [table for table in seen["tables"] if table["scrolls"]]
    screenshot(browser, f"report-{name}.png")
    browser.execute_script("document.querySelector('section.pg-gradient').scrollIntoView()")
    screenshot(browser, f"report-{name}-table.png")


def test_notebook_output_stays_in_its_cell(browser, mlp, tmp_path):
    """What a notebook shows of a gradient and a drawing, in a cell 760 px wide that cuts
    whatever passes its edge (as nbconvert's HTML export does)."""
    gradient = mlp.gradients["w1_00"]
    body = (
        '<div id="cell" style="width: 760px; overflow: hidden; margin: 20px; '
        'border: 1px dashed #999">'
        f"{gradient._repr_html_()}\n{draw(mlp, wrt='w1_00', direction='LR')._repr_svg_()}</div>"
    )
    open_page(browser, tmp_path, "notebook.html", page("notebook cell", body))
    check_overflow(browser.execute_script(OVERFLOW))
    screenshot(browser, "notebook-cell-mlp.png")


@pytest.mark.parametrize("direction", ["LR", "TB"])
def test_picture_page_fits_the_window(browser, mlp, tmp_path, direction):
    open_page(browser, tmp_path, "mlp.html", draw(mlp, wrt="w1_00", direction=direction).html)
    box = "var b = document.querySelector('svg').getBoundingClientRect();"
    fitted = browser.execute_script(box + "return [b.right, b.bottom, b.width, innerHeight];")
    assert fitted[0] <= WIDTH and fitted[1] <= fitted[3]  # "fit to window": all of it
    screenshot(browser, f"graph-mlp-{direction}.png")
    browser.find_element("id", "fit").click()  # full size: larger than the window, scrolled
    full = browser.execute_script(box + "return [b.width, b.bottom];")
    assert full[0] > fitted[2] + 1 or full[1] > fitted[1] + 1  # larger: the page scrolls


def test_the_same_player_twice_on_a_page(browser, tmp_path):
    """A notebook may show one player twice: each answers for itself."""
    from selenium.webdriver.common.keys import Keys

    story = steps(explain("seed"))
    fragment = story._repr_html_()
    open_page(browser, tmp_path, "twice.html", page("twice", fragment + fragment))
    players = browser.find_elements("css selector", ".pathgrad-steps")
    players[1].find_element("css selector", "button.next").click()
    keys(browser, Keys.ARROW_RIGHT)  # the second has the focus now, from the click
    counters = [p.find_element("css selector", ".counter").text for p in players]
    assert counters == [f"step 1 / {len(story)}", f"step 3 / {len(story)}"]
