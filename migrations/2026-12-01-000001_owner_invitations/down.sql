DROP TABLE owner_invitations;
-- The namespaces claimed for usernames cannot be told apart from published
-- ones; they stay.
