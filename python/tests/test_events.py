import uuid


def test_events_ingested_from_python_reach_the_handlers(mesh):
    user = f"py-{uuid.uuid4().hex[:8]}"
    events = [{"event": "hello", "user": user, "n": i} for i in range(3)]
    report = mesh.events.ingest(events, wait_for_handlers=True, timeout=20)
    assert report["received"] == 3 and report["accepted"] == 3 and report["rejected"] == []
    assert mesh.query.djt_user_event_count(user=user) == 3
    # The same events again (they carry the same ids): stored once, counted once.
    again = mesh.events.ingest(events, wait_for_handlers=True, timeout=20)
    assert again["received"] == 3
    assert mesh.query.djt_user_event_count(user=user) == 3
