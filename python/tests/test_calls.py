import pytest

from insights_mesh import Html, MeshError, Svg, Table


def test_a_deadline_is_enforced_and_reported_with_its_code(mesh):
    with pytest.raises(MeshError) as e:
        mesh.query.sleep(ms=5000, timeout=0.3)
    assert e.value.code == "DEADLINE_EXCEEDED"
    assert mesh.query.sleep(ms=10, timeout=5) == "slept 10"


def test_a_table_view_as_a_dataframe(mesh):
    table = mesh.view.grade_table(course="C1", learners=7)
    assert isinstance(table, Table) and table.title == "Grades in C1"
    assert "<table>" in table._repr_html_()
    df = mesh.view.grade_table(course="C1", learners=7, as_frame=True)
    assert df.shape == (7, 3)
    assert list(df.columns) == ["learner", "course", "grade"]
    assert df["grade"].iloc[3] == pytest.approx(0.3)


def test_a_list_of_records_as_a_dataframe_and_json_as_python_values(mesh):
    records = mesh.query.grade_records(course="C1", learners=4)
    assert records[0] == {"learner": "learner1", "course": "C1", "grade": 0}
    df = mesh.query.grade_records(course="C1", learners=4, as_frame=True)
    assert df.shape == (4, 3)
    with pytest.raises(MeshError) as e:
        mesh.query.hello(as_frame=True)
    assert e.value.parameter == "as_frame"


def test_views_display_in_jupyter(mesh):
    svg = mesh.view.grade_svg()
    assert isinstance(svg, Svg) and svg._repr_svg_().startswith("<svg")
    page = mesh.view.djt_hello_template()
    assert isinstance(page, Html) and page._repr_html_() == str(page)
