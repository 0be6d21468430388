-- ledger_fast_payment: a payment in one round trip on PostgreSQL (docs/adr/0012-*.md).
--
-- This file is the function's one definition. It does what the ORM path does for a payment
-- (ledger/services/transfers.py: transfer_create and make_transfer; ledger/rules.py), in the
-- same order and in the statement's own transaction: a used idempotency key returns the first
-- transfer; both accounts are locked with SELECT ... FOR UPDATE in ascending id order;
-- community, currency, frozen accounts, the kinds of account, the payer's permission and the
-- lower limit are checked before anything is written; then the transfer (ON CONFLICT on the
-- idempotency key: a twin request that committed first wins and nothing is written), both
-- balances and the audit row (audit's table, written here directly). A refusal returns a status
-- and writes nothing; ledger/services/_fast_path.py turns it into the ORM path's error.
--
-- To change it: edit this file and add a migration that loads it, like
-- ledger/migrations/0010_fast_payment_from_file.py, with the file's new SHA-256 as its
-- FUNCTION_SHA256. Migrations up to 0009 carry their own copy of the SQL (history).
-- tests/ledger/test_fast_path_sql.py fails while the function in the database is not this
-- file, or the newest migration that loads it was written for another version of it;
-- tests/ledger/test_fast_path_property.py compares both paths on random payments.
-- Every statement finds its rows by a key (enable_seqscan = off: no plan made while a table
-- was small may scan it later; migration 0009).

CREATE OR REPLACE FUNCTION ledger_fast_payment(
  p_community bigint, p_debit bigint, p_credit bigint, p_amount numeric, p_major boolean,
  p_kind text, p_description text, p_key text, p_hash_prefix text, p_hash_suffix text,
  p_at timestamptz,
  p_actor_label text, p_user_id bigint, p_api_key_id bigint, p_on_behalf_of_id bigint,
  p_channel text, p_sources text[], p_targets text[],
  p_may_all boolean, p_may_kind boolean, p_person_id bigint, p_pay_on_behalf boolean,
  p_organisation_ids bigint[]
) RETURNS TABLE (
  o_status text, o_info text, o_sms boolean, o_fingerprint text,
  o_cur_id bigint, o_cur_code text, o_cur_decimals integer,
  o_id bigint, o_community_id bigint, o_currency_id bigint, o_debit_id bigint,
  o_credit_id bigint, o_amount bigint, o_kind text, o_description text, o_reverses_id bigint,
  o_idempotency_key text, o_request_hash text, o_at timestamptz, o_actor_label text,
  o_on_behalf_of_id bigint, o_channel text, o_debit_balance_after bigint,
  o_credit_balance_after bigint
) LANGUAGE plpgsql VOLATILE SET enable_seqscan = off AS $$
DECLARE
  r ledger_account%ROWTYPE;
  d ledger_account%ROWTYPE;
  c ledger_account%ROWTYPE;
  x ledger_transfer%ROWTYPE;
  allowed boolean;
  v_minor numeric;
  v_amount bigint;
  new_debit bigint;
  new_credit bigint;
BEGIN
  o_sms := false;
  IF p_major THEN
    -- rules.parse_amount: major units to minor units of the community's currency.
    SELECT cu.id, cu.code, cu.decimals
      INTO o_cur_id, o_cur_code, o_cur_decimals
      FROM ledger_currency cu WHERE cu.community_id = p_community;
    IF NOT FOUND THEN
      o_status := 'no_currency';
      RETURN NEXT;
      RETURN;
    END IF;
    v_minor := p_amount * (10::numeric ^ o_cur_decimals);
    IF v_minor <> trunc(v_minor) THEN
      o_status := 'decimals'; o_info := o_cur_decimals::text;
      RETURN NEXT;
      RETURN;
    END IF;
  ELSE
    v_minor := p_amount;
  END IF;
  -- rules.check_amount
  IF v_minor <= 0 THEN
    o_status := 'amount_not_positive';
    RETURN NEXT;
    RETURN;
  ELSIF v_minor > 1000000000000 THEN
    o_status := 'amount_too_large';
    RETURN NEXT;
    RETURN;
  END IF;
  v_amount := v_minor::bigint;
  -- core.idempotency.fingerprint: Python sends the JSON around the amount, which it cannot know.
  o_fingerprint := encode(
    sha256(convert_to(p_hash_prefix || v_amount::text || p_hash_suffix, 'UTF8')), 'hex'
  );
  -- A used key: the first result (the caller compares the request fingerprint).
  SELECT * INTO x FROM ledger_transfer t
   WHERE t.community_id = p_community AND t.idempotency_key = p_key;
  IF FOUND THEN
    o_status := 'existing';
  ELSIF p_debit = p_credit THEN
    o_status := 'self';
    RETURN NEXT;
    RETURN;
  END IF;
  IF o_status IS NULL THEN
    -- Lock both accounts in ascending id order: two payments never deadlock.
    SELECT * INTO r FROM ledger_account a WHERE a.id = LEAST(p_debit, p_credit) FOR UPDATE;
    IF FOUND AND r.community_id = p_community THEN
      IF r.id = p_debit THEN d := r; ELSE c := r; END IF;
    END IF;
    SELECT * INTO r FROM ledger_account a WHERE a.id = GREATEST(p_debit, p_credit) FOR UPDATE;
    IF FOUND AND r.community_id = p_community THEN
      IF r.id = p_debit THEN d := r; ELSE c := r; END IF;
    END IF;
    IF d.id IS NULL OR c.id IS NULL THEN
      o_status := 'not_found';
      RETURN NEXT;
      RETURN;
    END IF;
    -- A retry that waited for our locks finds the first result here.
    SELECT * INTO x FROM ledger_transfer t
     WHERE t.community_id = p_community AND t.idempotency_key = p_key;
    IF FOUND THEN
      o_status := 'existing';
    END IF;
  END IF;
  IF o_status IS NULL THEN
    IF d.currency_id <> c.currency_id THEN
      o_status := 'currency';
    ELSIF d.frozen THEN
      o_status := 'frozen'; o_info := d.number;
    ELSIF c.frozen THEN
      o_status := 'frozen'; o_info := c.number;
    ELSIF NOT (COALESCE(NULLIF(d.system_role, ''), d.kind) = ANY (p_sources))
       OR NOT (COALESCE(NULLIF(c.system_role, ''), c.kind) = ANY (p_targets)) THEN
      o_status := 'kind';
    END IF;
  END IF;
  IF o_status IS NULL AND NOT p_may_all THEN
    -- rules.may_move_from, for an actor without ledger.manage.
    IF NOT p_may_kind THEN
      allowed := false;
    ELSIF p_kind IN ('exchange_in', 'issue') THEN
      allowed := true;
    ELSIF d.person_id IS NOT NULL THEN
      allowed := COALESCE(d.person_id = p_person_id AND p_on_behalf_of_id IS NULL, false)
              OR COALESCE(d.person_id = p_on_behalf_of_id AND p_pay_on_behalf, false);
    ELSIF d.organisation_id IS NOT NULL THEN
      allowed := d.organisation_id = ANY (p_organisation_ids);
    ELSE
      allowed := false;
    END IF;
    IF NOT COALESCE(allowed, false) THEN
      o_status := 'denied';
    END IF;
  END IF;
  IF o_status IS NULL THEN
    new_debit := d.balance - v_amount;
    new_credit := c.balance + v_amount;
    IF d.kind <> 'system' AND new_debit < d.lower_limit THEN
      o_status := 'insufficient'; o_info := d.number;
    END IF;
  END IF;
  IF o_status IS NULL THEN
    INSERT INTO ledger_transfer AS t (
      community_id, currency_id, debit_id, credit_id, amount, kind, description, reverses_id,
      idempotency_key, request_hash, at, actor_label, on_behalf_of_id, channel,
      debit_balance_after, credit_balance_after
    ) VALUES (
      p_community, d.currency_id, d.id, c.id, v_amount, p_kind, p_description, NULL,
      p_key, o_fingerprint, p_at, p_actor_label, p_on_behalf_of_id, p_channel,
      new_debit, new_credit
    )
    ON CONFLICT ON CONSTRAINT transfer_idempotent DO NOTHING
    RETURNING t.* INTO x;
    IF NOT FOUND THEN
      -- The same key committed by a request that did not wait for our locks: its result.
      SELECT * INTO x FROM ledger_transfer t
       WHERE t.community_id = p_community AND t.idempotency_key = p_key;
      o_status := 'existing';
    ELSE
      UPDATE ledger_account a SET balance = new_debit WHERE a.id = d.id;
      UPDATE ledger_account a SET balance = new_credit WHERE a.id = c.id;
      INSERT INTO audit_auditevent (
        community_id, at, verb, actor_label, actor_user_id, actor_api_key_id, on_behalf_of_id,
        channel, object_type, object_id, data
      ) VALUES (
        p_community, p_at, 'ledger.transfer', p_actor_label, p_user_id, p_api_key_id,
        p_on_behalf_of_id, p_channel, 'ledger.transfer', x.id::text,
        jsonb_build_object('kind', p_kind, 'amount', v_amount, 'debit', d.id, 'credit', c.id)
      );
      o_status := 'created';
      o_sms := c.sms_receipts;
    END IF;
  END IF;
  IF o_status IN ('existing', 'created') THEN
    o_id := x.id; o_community_id := x.community_id; o_currency_id := x.currency_id;
    o_debit_id := x.debit_id; o_credit_id := x.credit_id; o_amount := x.amount;
    o_kind := x.kind; o_description := x.description; o_reverses_id := x.reverses_id;
    o_idempotency_key := x.idempotency_key; o_request_hash := x.request_hash; o_at := x.at;
    o_actor_label := x.actor_label; o_on_behalf_of_id := x.on_behalf_of_id;
    o_channel := x.channel; o_debit_balance_after := x.debit_balance_after;
    o_credit_balance_after := x.credit_balance_after;
  END IF;
  RETURN NEXT;
END;
$$;
