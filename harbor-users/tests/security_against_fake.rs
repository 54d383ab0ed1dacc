//! Transport security end to end against `harbor-fake`: its HTTPS mode with
//! a throwaway CA, plain HTTP refused where credentials could be read, and
//! Harbor's session cookie, which must never be sent back.

use std::time::Duration;

use harbor_fake::FakeHarbor;
use harbor_users::{Credentials, Error, HarborClient, NewUser, RetryPolicy, UserProfile};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn admin_of(fake: &FakeHarbor) -> Credentials {
    let admin = fake.admin_credentials();
    Credentials::basic(admin.username, admin.password)
}

fn new_user(name: &str) -> NewUser {
    NewUser::new(
        name,
        format!("{name}@example.com"),
        "Secure User",
        "Start-passw0rd",
    )
}

#[tokio::test]
async fn a_harbor_with_a_certificate_from_an_unknown_ca_is_refused_before_any_request() -> TestResult
{
    let fake = FakeHarbor::builder().tls(true).start().await?;
    assert!(fake.url().starts_with("https://127.0.0.1:"));
    let client = HarborClient::builder(fake.url())
        .credentials(admin_of(&fake))
        .retry_policy(RetryPolicy::disabled())
        .build()?;

    let error = client.get_current_user().await.err();

    let message = error.as_ref().map(ToString::to_string).unwrap_or_default();
    assert!(matches!(error, Some(Error::Transport { .. })), "{message}");
    assert!(message.contains("could not connect"), "{message}");
    assert_eq!(
        fake.stats().requests,
        0,
        "no request got past the handshake"
    );
    Ok(())
}

#[tokio::test]
async fn with_the_fakes_ca_every_users_operation_works_over_https() -> TestResult {
    let fake = FakeHarbor::builder().tls(true).users(3).start().await?;
    let ca = fake.ca_pem().ok_or("the HTTPS fake has a CA")?;
    let client = HarborClient::builder(fake.url())
        .credentials(admin_of(&fake))
        .add_ca_certificate_pem(ca.as_bytes().to_vec())
        .build()?;

    let id = client.create_user(&new_user("tls-user")).await?;
    let user = client.get_user_by_username("tls-user").await?;
    assert_eq!(user.id, id);
    client
        .update_user(id, &UserProfile::new("moved@example.com", "Moved"))
        .await?;
    client.set_user_admin(id, true).await?;
    client.set_user_password(id, "Other-passw0rd", None).await?;
    let own = HarborClient::builder(fake.url())
        .credentials(Credentials::basic("tls-user", "Other-passw0rd"))
        .add_ca_certificate_pem(ca.as_bytes().to_vec())
        .build()?;
    let me = own.get_current_user().await?;
    assert_eq!(me.email.as_deref(), Some("moved@example.com"));
    assert!(me.sysadmin);
    assert_eq!(client.get_users().collect().await?.len(), 4);
    client.delete_user(id).await?;
    assert!(fake.user_by_name("tls-user").is_none());
    Ok(())
}

#[test]
fn credentials_over_plain_http_are_refused_for_hosts_that_only_look_local() {
    for url in [
        "http://localhost.example.com",
        "http://127.0.0.1.nip.io",
        "http://[::ffff:10.0.0.1]",
        "http://0.0.0.0:8080",
        "http://10.0.0.1",
        "http://harbor",
    ] {
        for credentials in [
            Credentials::basic("admin", "Harbor12345"),
            Credentials::robot("robot$ci", "Robot-s3cret"),
        ] {
            let error = HarborClient::builder(url)
                .credentials(credentials)
                .build()
                .err();
            let message = error.as_ref().map(ToString::to_string).unwrap_or_default();
            assert!(
                matches!(error, Some(Error::Config { .. })) && message.contains("plain http://"),
                "{url}: {message}"
            );
            assert!(!message.contains("Harbor12345") && !message.contains("Robot-s3cret"));
        }
    }
}

#[test]
fn credentials_from_the_environment_over_plain_http_are_refused_too() {
    let vars = [
        ("HARBOR_URL", "http://harbor.example.com"),
        ("HARBOR_USERNAME", "admin"),
        ("HARBOR_PASSWORD", "Harbor12345"),
    ];
    let lookup = |name: &str| {
        vars.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
    };
    let built = harbor_users::ClientBuilder::from_env_with(lookup).and_then(|b| b.build());
    assert!(
        built.is_err_and(|error| error.to_string().contains("plain http://")),
        "an environment cannot opt in by accident"
    );
}

#[tokio::test]
async fn writes_after_harbor_sets_a_session_cookie_never_send_it_back() -> TestResult {
    let fake = FakeHarbor::builder().users(2).start().await?;
    let client = HarborClient::builder(fake.url())
        .credentials(admin_of(&fake))
        .build()?;

    let mut requests = 0;
    for name in ["cookie-a", "cookie-b", "cookie-c"] {
        client.get_users().collect().await?;
        let id = client.create_user(&new_user(name)).await?;
        client
            .update_user(
                id,
                &UserProfile::new(format!("{name}@example.org"), "Changed"),
            )
            .await?;
        client.set_user_admin(id, true).await?;
        client.set_user_password(id, "Other-passw0rd", None).await?;
        client.delete_user(id).await?;
        requests += 6;
    }

    let stats = fake.stats();
    assert_eq!(stats.requests, requests);
    assert_eq!(
        stats.session_cookies_set, requests,
        "every answer offered a session cookie"
    );
    assert_eq!(
        stats.session_cookies_received, 0,
        "no request carried it back"
    );
    Ok(())
}

#[tokio::test]
async fn the_fakes_csrf_trap_is_armed_for_a_client_that_keeps_cookies() -> TestResult {
    // The test above means something only if a client returning the cookie
    // would fail: this one does it by hand.
    let fake = FakeHarbor::builder().users(1).start().await?;
    let admin = fake.admin_credentials();
    harbor_users::harbor_openapi::install_crypto_provider();
    let http = harbor_users::reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()?;
    let listing = http
        .get(format!("{}/users", fake.api_url()))
        .basic_auth(&admin.username, Some(&admin.password))
        .send()
        .await?;
    let cookie = listing
        .headers()
        .get("set-cookie")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .ok_or("the fake sets a session cookie")?
        .to_owned();

    let delete = http
        .delete(format!("{}/users/3", fake.api_url()))
        .basic_auth(&admin.username, Some(&admin.password))
        .header("cookie", cookie)
        .send()
        .await?;

    assert_eq!(delete.status().as_u16(), 403);
    assert!(delete.text().await?.contains("CSRF token invalid"));
    assert_eq!(fake.stats().session_cookies_received, 1);
    assert_eq!(fake.user_count(), 1, "the user was not deleted");
    Ok(())
}
