def test_store_manager_sees_only_his_store(api_client, people, org):
    resp = api_client.as_user(people.store).get("/org/units")
    assert resp.status_code == 200
    assert [u["code"] for u in resp.json()["items"]] == ["S1"]
