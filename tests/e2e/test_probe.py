import time


def test_probe(page_for, people, org):
    for u in (people.store, people.admin, people.region):
        t = time.time()
        page = page_for.new_page()
        print("ctx", time.time() - t)
        page.goto("/accounts/login/")
        print("get login", time.time() - t)
        page.fill("#id_username", u.username)
        page.fill("#id_password", "correct horse battery staple 42")
        page.click("main form button[type=submit]")
        page.wait_for_url(page_for.url("/"))
        print("logged", time.time() - t)
        page.goto("/org/")
        print("tree", time.time() - t)
