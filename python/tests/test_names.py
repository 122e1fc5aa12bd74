import pytest

from insights_mesh import AnalyticNotFound, MeshError


def test_bare_qualified_and_module_attribute_names_reach_the_same_analytic(mesh):
    assert mesh.query.hello() == "Hello, world!"
    assert mesh.query["examples.hello"]() == "Hello, world!"
    assert mesh.query.examples.hello_user(user="ada") == "Hello, ada!"
    assert mesh.query.clash.hello_user(user="ada") == "clash says hi to ada"


def test_aliases_resolve(mesh):
    assert mesh.query.edx_djt_three_name() == "I have three names"
    assert mesh.query["edx.djt_three_name"]() == "I have three names"


def test_a_collision_is_an_error_listing_both_modules(mesh):
    with pytest.raises(MeshError) as e:
        mesh.query.hello_user(user="ada")
    assert e.value.code == "FAILED_PRECONDITION"
    assert set(e.value.suggestions) == {"clash.hello_user", "examples.hello_user"}
    assert "clash.hello_user" in str(e.value) and "examples.hello_user" in str(e.value)


def test_an_unknown_name_suggests_near_names(mesh):
    with pytest.raises(AnalyticNotFound) as e:
        mesh.query.helo
    assert e.value.code == "NOT_FOUND"
    assert "hello" in e.value.suggestions
    assert not hasattr(mesh.query, "no_such_analytic_anywhere")


def test_invalid_arguments_name_the_parameter(mesh):
    with pytest.raises(MeshError) as e:
        mesh.query.get_grades(course="C1", learners=0)
    assert e.value.code == "INVALID_ARGUMENT"
    assert e.value.parameter == "learners"
    with pytest.raises(MeshError) as e:
        mesh.query.hello(timeout=-1)
    assert (e.value.code, e.value.parameter) == ("INVALID_ARGUMENT", "timeout")
