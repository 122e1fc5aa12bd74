"""Analytics written in Python, served to the mesh by `python -m insights_mesh.host` (the demo
runs this one). Any TypeScript module reaches them through ctx.mesh, clients and the CLI by name:

    insights call query.pystats.summary --args '{"values": [3, 5, 8, 13]}'
"""

from statistics import fmean, median, pstdev, quantiles

from insights_mesh.analytics import Module
from insights_mesh.results import Table

stats = Module("pystats", description="Descriptive statistics of scores, computed in Python")


@stats.query
def summary(values: list) -> dict:
    """Count, mean, median, population standard deviation and quartiles of the values."""
    if not values:
        return {"n": 0}
    q = quantiles(values, n=4, method="inclusive") if len(values) > 1 else [values[0]] * 3
    return {"n": len(values), "mean": fmean(values), "median": median(values), "stdev": pstdev(values), "quartiles": q}


@stats.view
def summary_table(values: list) -> Table:
    """The summary as a table (a DataFrame in the Python client, a table in the dashboard)."""
    s = summary(values)
    return Table(columns=["statistic", "value"], rows=[[k, v] for k, v in s.items() if k != "quartiles"])
