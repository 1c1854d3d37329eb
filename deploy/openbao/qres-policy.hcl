# The least a qres deployment grants its AppRole on OpenBao / HashiCorp Vault: the defaults of
# `VaultConfig::new` (transit mount `transit`, transit key `qres`, KV v2 mount `secret`, prefix `qres`).
# Change the four names together with the configuration. The tests load this very file
# (tests/keystore_vault.rs) and check that every qres operation works with it and that anything else is
# refused. Attach it alone (`token_policies = ["qres"]`); the token's `default` policy adds
# `auth/token/lookup-self`, which qres uses to tell a revoked token from a denied request.
#
# Not granted on purpose: creating, rotating, configuring, exporting or backing up the transit key
# (the operator does that with another identity), any other transit key or KV path, sys/*.

# Wrap and unwrap data keys with the one transit key.
path "transit/encrypt/qres" {
  capabilities = ["update"]
}
path "transit/decrypt/qres" {
  capabilities = ["update"]
}
# Read the key's configuration (never its material): qres refuses a key that is exportable or allows
# plaintext backup (`ensure_transit_key`).
path "transit/keys/qres" {
  capabilities = ["read"]
}

# KV v2 below secret/qres/: write revisions (check-and-set), read them, list and read their metadata,
# destroy old versions that still hold a destroyed key, and delete a keyset.
path "secret/data/qres/*" {
  capabilities = ["create", "read", "update"]
}
path "secret/metadata/qres/*" {
  capabilities = ["read", "list", "delete"]
}
path "secret/destroy/qres/*" {
  capabilities = ["update"]
}
