import pytest
from django.contrib.auth.models import User

pytestmark = pytest.mark.django_db


def test_sign_in_and_sign_out_pages_in_vietnamese_and_english(client):
    assert "Tên đăng nhập" in client.get("/accounts/login/").content.decode()
    assert "User name" in client.get("/accounts/login/", {"lang": "en"}).content.decode()
    User.objects.create_user("nguoi-dan", password="Mat-khau-dan-1")
    client.get("/accounts/login/", {"lang": "vi"})  # back to Vietnamese (remembered in a cookie)
    client.post("/accounts/login/", {"username": "nguoi-dan", "password": "Mat-khau-dan-1"})
    page = client.post("/accounts/logout/")
    assert page.status_code == 200 and "Bạn đã đăng xuất" in page.content.decode()
    assert client.get("/data/").status_code == 302  # signed out for real
    assert client.get("/accounts/logout/").status_code == 405  # sign-out is a POST (CSRF-protected)


@pytest.mark.parametrize("lang, expected", [("vi", "tài khoản tạm khóa 15 phút"), ("en", "locked for 15 minutes")])
def test_too_many_failed_sign_ins_lock_the_account_with_a_page_in_its_language(client, lang, expected):
    """django-axes locks a user name after five failures; the caller sees the sign-in page saying so
    in the page's language (429), not axes' English plain text, and the right password waits too."""
    User.objects.create_user("bi-khoa", password="Mat-khau-dung-1")
    client.get("/accounts/login/", {"lang": lang})
    for _ in range(5):
        client.post("/accounts/login/", {"username": "bi-khoa", "password": "sai"})
    locked = client.post("/accounts/login/", {"username": "bi-khoa", "password": "Mat-khau-dung-1"})
    page = locked.content.decode()
    assert locked.status_code == 429 and expected in page
    assert "Account locked" not in page and '<form method="post"' in page
    assert client.get("/data/").status_code == 302  # not signed in
