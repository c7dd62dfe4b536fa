-- The SPDCI Social Registry API (docs/dci.md): messages seen (replay protection), transactions of async calls,
-- subscriptions and the notifications of subscriptions that are sent on a schedule.

-- a message_id is accepted once per sender; rows older than the accepted clock window are pruned
create table dci_message (
  sender_id   text not null,
  message_id  text not null,
  received_at timestamptz not null default now(),
  primary key (sender_id, message_id)
);
create index dci_message_received on dci_message (received_at);

-- one row per accepted async request (search, subscribe, unsubscribe, txn-status): what txn/status reports
create table dci_transaction (
  id             uuid primary key,
  sender_id      text not null,
  principal_id   text not null,
  transaction_id text not null,
  correlation_id text not null unique,
  message_id     text not null,
  action         text not null check (action in ('search', 'subscribe', 'unsubscribe', 'txn-status')),
  reference_ids  jsonb not null default '[]',
  -- the decrypted request and the caller (scopes, areas, purpose), sealed: the answer is worked out just before
  -- it is sent, so a restart loses nothing; it can hold identifiers
  request_sealed text not null,
  callback_url   text not null,
  delivery_id    uuid,
  created_at     timestamptz not null default now()
);
create index dci_transaction_sender on dci_transaction (sender_id, transaction_id);

create table dci_subscription (
  code               text primary key,
  sender_id          text not null,
  principal_id       text not null,
  -- the subscriber's areas (null = all) and purpose, applied to every notification
  areas              text[],
  purpose            text,
  reg_event_type     text not null check (reg_event_type in ('REGISTER', 'NewHouseHoldMember', 'UPDATE', 'DEATH', 'DEREGISTER')),
  record_type        text not null check (record_type in ('Group', 'Member')),
  filter_type        text not null,
  -- the filter can hold identifiers (idtype-value): sealed
  filter_sealed      text not null,
  filter_fingerprint text not null,
  frequency          text,
  start_time         timestamptz,
  end_time           timestamptz,
  next_run_at        timestamptz,
  locale             text,
  callback_url       text not null,
  status             text not null default 'subscribe' check (status in ('subscribe', 'unsubscribe')),
  created_at         timestamptz not null default now(),
  unsubscribed_at    timestamptz
);
create index dci_subscription_active on dci_subscription (reg_event_type) where status = 'subscribe';
create unique index dci_subscription_once on dci_subscription (sender_id, reg_event_type, record_type, filter_fingerprint) where status = 'subscribe';
create index dci_subscription_due on dci_subscription (next_run_at) where status = 'subscribe' and frequency is not null;

-- notifications waiting for their subscription's next scheduled run (subscriptions with a frequency)
create table dci_notification (
  subscription_code text not null references dci_subscription (code),
  event_id          text not null,
  record_id         text not null,
  event_type        text not null,
  event_at          timestamptz not null,
  primary key (subscription_code, event_id)
);
