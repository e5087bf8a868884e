def test_world_builds_and_admin_sees_all_employees(world, auth, client):
    auth.login("admin")
    page = client.get("/pegawaiview/list/").get_data(as_text=True)
    for pegawai in ("BUDI SANTOSO", "DEWI LESTARI", "SITI AMINAH"):
        assert pegawai in page
