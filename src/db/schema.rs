// Mirrors migrations/ (what `diesel print-schema` prints, with TEXT[] elements non-null).

diesel::table! {
    users (id) {
        id -> Int8,
        username -> Text,
        email -> Text,
        password_hash -> Nullable<Text>,
        github_id -> Nullable<Int8>,
        github_login -> Nullable<Text>,
        is_admin -> Bool,
        is_official -> Bool,
        banned_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    sessions (key_hash) {
        key_hash -> Bytea,
        state -> Jsonb,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Int8,
        user_id -> Int8,
        name -> Text,
        token_hash -> Bytea,
        scopes -> Array<Text>,
        packages -> Array<Text>,
        expires_at -> Nullable<Timestamptz>,
        last_used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    rate_limits (key) {
        key -> Text,
        tokens -> Float8,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    namespaces (name) {
        name -> Text,
        owner_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    packages (id) {
        id -> Int8,
        name -> Text,
        canonical_name -> Text,
        namespace -> Nullable<Text>,
        description -> Text,
        repository_url -> Nullable<Text>,
        homepage -> Nullable<Text>,
        license -> Nullable<Text>,
        keywords -> Array<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        removed_at -> Nullable<Timestamptz>,
        readme -> Text,
        mirrored_from -> Nullable<Text>,
        fetched_at -> Nullable<Timestamptz>,
        deprecated_at -> Nullable<Timestamptz>,
        deprecation_message -> Nullable<Text>,
        deprecation_successor -> Nullable<Text>,
    }
}

diesel::table! {
    package_owners (package_id, user_id) {
        package_id -> Int8,
        user_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    owner_invitations (package_id, user_id) {
        package_id -> Int8,
        user_id -> Int8,
        invited_by -> Nullable<Int8>,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    versions (id) {
        id -> Int8,
        package_id -> Int8,
        version -> Text,
        version_key -> Text,
        checksum -> Text,
        size_bytes -> Int8,
        description -> Text,
        repository_url -> Nullable<Text>,
        homepage -> Nullable<Text>,
        license -> Nullable<Text>,
        keywords -> Array<Text>,
        authors -> Array<Text>,
        sema_version_req -> Nullable<Text>,
        entrypoint -> Nullable<Text>,
        readme -> Nullable<Text>,
        published_by -> Nullable<Int8>,
        yanked -> Bool,
        yanked_at -> Nullable<Timestamptz>,
        published_at -> Timestamptz,
        stored -> Bool,
    }
}

diesel::table! {
    dependencies (version_id, name) {
        version_id -> Int8,
        name -> Text,
        canonical_name -> Text,
        req -> Text,
        kind -> Text,
    }
}

diesel::table! {
    version_downloads (version_id, date) {
        version_id -> Int8,
        date -> Date,
        downloads -> Int8,
    }
}

diesel::table! {
    package_downloads (package_id) {
        package_id -> Int8,
        downloads -> Int8,
        recent_downloads -> Int8,
        refreshed_on -> Date,
    }
}

// Its tsvector columns (name_document, document) are only read by raw SQL in
// registry::search, and diesel has no tsvector type: left out.
diesel::table! {
    package_search (package_id) {
        package_id -> Int8,
        canonical_name -> Text,
        popularity -> Int2,
    }
}

diesel::table! {
    name_claims (canonical_name) {
        canonical_name -> Text,
        name -> Text,
        claimed_by -> Text,
        claimed_at -> Timestamptz,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Int8,
        package_id -> Int8,
        url -> Text,
        events -> Array<Text>,
        secret -> Text,
        created_at -> Timestamptz,
        failing_since -> Nullable<Timestamptz>,
        disabled_at -> Nullable<Timestamptz>,
        disabled_reason -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Uuid,
        webhook_id -> Int8,
        event -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Int4,
        created_at -> Timestamptz,
        next_attempt_at -> Timestamptz,
        last_attempt_at -> Nullable<Timestamptz>,
        response_code -> Nullable<Int4>,
        duration_ms -> Nullable<Int4>,
        error -> Nullable<Text>,
    }
}

diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(package_owners -> packages (package_id));
diesel::joinable!(package_owners -> users (user_id));
diesel::joinable!(owner_invitations -> packages (package_id));
diesel::joinable!(versions -> packages (package_id));
diesel::joinable!(dependencies -> versions (version_id));
diesel::joinable!(version_downloads -> versions (version_id));
diesel::joinable!(package_downloads -> packages (package_id));
diesel::joinable!(package_search -> packages (package_id));
diesel::joinable!(webhooks -> packages (package_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    sessions,
    api_tokens,
    rate_limits,
    namespaces,
    packages,
    package_owners,
    owner_invitations,
    versions,
    dependencies,
    version_downloads,
    audit_log,
    package_downloads,
    package_search,
    name_claims,
    webhooks,
    webhook_deliveries,
);

diesel::table! {
    audit_log (id) {
        id -> Int8,
        at -> Timestamptz,
        action -> Text,
        actor_id -> Nullable<Int8>,
        actor -> Nullable<Text>,
        token_id -> Nullable<Int8>,
        package_id -> Nullable<Int8>,
        package -> Nullable<Text>,
        version -> Nullable<Text>,
        subject -> Nullable<Text>,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
    }
}
