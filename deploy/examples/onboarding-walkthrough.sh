#!/usr/bin/env bash
# An operator's whole IIP onboarding from a terminal, against a running stack (`make run` in another terminal):
# a ministry registers its information system with the application-form fields, applies for the demo civil
# registry service, the operator reviews, approves, agrees the technological instruction and connects it; the
# ministry's system gets its client certificate from the operator (the gateway identifies callers by certificate,
# mTLS); its officer registers a signing key and calls the service with signed requests naming the public service
# they serve (REG-2 p. 14); a request outside the instruction is refused; a suspension with its ground and notice
# takes effect at once; reinstatement lifts it.
#
#   deploy/examples/onboarding-walkthrough.sh          (uses ./target/debug/koprik and the CA of `make run`, var/pki)
#   KOPRIK=koprik KOPRIK_REGISTRY_URL=... KOPRIK_GATEWAY_URL=... KOPRIK_TLS_CA=... KOPRIK_CA_DIR=... \
#     deploy/examples/onboarding-walkthrough.sh
set -euo pipefail

koprik=${KOPRIK:-./target/debug/koprik}
ca_dir=${KOPRIK_CA_DIR:-var/pki}
cert_dir=${KOPRIK_CERT_DIR:-var/walkthrough-certs}
export KOPRIK_TLS_CA=${KOPRIK_TLS_CA:-$ca_dir/ca.pem}
org=UZ/GOV/${STIR:-302515837}
system=$org/social-benefits
service=UZ/GOV/201122919/civil-registry/person-by-pinfl/v1
applicant=(--actor "applicant: M. Rashidova")
operator=(--actor "operator: D. Yusupova")
step() { printf '\n== %s\n' "$*"; }

step "The ministry and its information system, with the application-form fields"
"$koprik" org-create --id "$org" --name "Ijtimoiy himoya milliy agentligi" --type state-body --role iip-consumer
"$koprik" subsystem-create --id "$system" --name "Social benefits"
"$koprik" "${applicant[@]}" subsystem-form --id "$system" --purpose "Assign social benefits" \
  --tasks "Verify applicants' identity and family" --email support@ijtimoiy.uz --phone "+998 71 202 00 00" \
  --address 10.40.0.7:8443 --hours 24 --data "Benefit applications" \
  --user "Madina Rashidova;Head of IT;No. 45-k of 2026-03-02"

step "The application (A1 §8)"
form=$(mktemp)
keys=$(mktemp -d)
trap 'rm -rf "$form" "$keys"' EXIT
cat > "$form" <<TOML
consumer = "$system"
platform = "iip"
personal_data_consent_attested = true
changes_reporting_undertaken = true

[[services]]
service = "$service"
legal_basis = "Law on social protection, Art. 12"
max_requests_per_month = 5000
working_mode = "working days 09:00-18:00"
items = [
  { code = "surname", purpose = "identify the applicant" },
  { code = "birth_date", purpose = "check the age condition" },
]
TOML
id=$("$koprik" "${applicant[@]}" application-submit "$form" | sed -n 1p | awk '{print $2}')
echo "application $id"

step "Review within 7 working days, TI within 7, connection within 5 (A1 §9-11)"
"$koprik" "${operator[@]}" application-review --id "$id" | sed -n 1p
"$koprik" "${operator[@]}" application-approve --id "$id" | sed -n 1p
"$koprik" "${operator[@]}" application-agree-ti --id "$id" --reference TI-2026/77 --permit "$service=surname,birth_date" | sed -n 1p
"$koprik" "${operator[@]}" application-connect --id "$id"
grant=$("$koprik" application-show --id "$id" | awk '$1 == "grant" {print $2}')

step "The operator issues the ministry's system its client certificate and registers it"
"$koprik" "${operator[@]}" cert issue --subsystem "$system" --ca-dir "$ca_dir" --out-dir "$cert_dir"
export KOPRIK_TLS_CERT="$cert_dir/${system//\//_}.pem" KOPRIK_TLS_KEY="$cert_dir/${system//\//_}.key"

step "The ministry's officer gets a signing key; the operator registers its public key (REG-2 p. 14)"
"$koprik" key generate --out "$keys/officer.pem"
"$koprik" "${operator[@]}" key register --key-id social-benefits.officer-1 --subsystem "$system" --purpose officer \
  --key-file "$keys/officer.pem" --holder-name "Madina Rashidova" --holder-position "Head of IT"
export KOPRIK_OFFICER_KEY=$keys/officer.pem KOPRIK_OFFICER_KEY_ID=social-benefits.officer-1
export KOPRIK_OFFICER_NAME="Madina Rashidova" KOPRIK_OFFICER_POSITION="Head of IT"
# Each request names the public service it is made for (its number in the Unified Registry) and the applicant's
# request it answers.
number=$("$koprik" public-service list --body UZ/GOV/201122919 | awk '$3 == "LIVE" {print $2; exit}')
call() {
  "$koprik" call --service "$service" --pinfl 31403850260011 \
    --public-service "$number" --applicant-request "SB-2026-00042" "$@"
}

step "The ministry calls the service"
sleep 1
call --item surname --item birth_date

step "An item outside the technological instruction is refused (A1 §14-15)"
if call --item address; then
  echo "expected a refusal" >&2; exit 1
fi

step "Suspension on a ground of A1 §26, with the official notice"
"$koprik" "${operator[@]}" grant-set-status --id "$grant" --status suspended --ground suspend-unagreed-purpose \
  --reason "data used for a purpose the TI does not state" --notice "01-12/901,2026-11-23,A. Karimov, director"
sleep 1
if call --item surname; then
  echo "expected a refusal" >&2; exit 1
fi

step "Reinstatement"
"$koprik" "${operator[@]}" grant-set-status --id "$grant" --status active
sleep 1
call --item surname

step "An asynchronous request: accepted with its legal deadline (REG-2 p. 17), answered later"
submitted=$("$koprik" submit --service "$service" --pinfl 31403850260011 \
  --public-service "$number" --applicant-request "SB-2026-00043" --item surname)
echo "$submitted"
request_id=$(echo "$submitted" | sed -n 's/^request id: //p' | head -1)
for _ in $(seq 1 20); do
  answer=$("$koprik" get "$request_id")
  case "$answer" in *Karimov*) break ;; esac
  sleep 0.5
done
echo "$answer"
case "$answer" in *Karimov*) ;; *) echo "the submitted request was not answered" >&2; exit 1 ;; esac
"$koprik" application-show --id "$id"
