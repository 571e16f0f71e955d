#!/usr/bin/env bash
# An operator's whole IIP onboarding from a terminal, against a running stack (`make run` in another terminal):
# the operator registers a ministry and its information system and issues the system its client certificate; the
# ministry, with that certificate, fills in the application-form fields and applies for the demo civil registry
# service (and cannot approve its own application); the operator reviews, approves, agrees the technological
# instruction and connects it; its officer's signing key is registered and the system calls the service with signed
# requests naming the public service they serve (REG-2 p. 14); a request outside the instruction is refused; a
# suspension with its ground and notice takes effect at once; reinstatement lifts it.
#
# Every step is taken with the certificate of whoever takes it, which is all any service goes by (it is recorded as
# the step's actor): the operator's (`koprik up` made var/pki/clients/operator_koprik-admin.pem) for the operator's
# steps, the ministry system's for the applicant's steps and its calls.
#
#   deploy/examples/onboarding-walkthrough.sh          (uses ./target/debug/koprik and the CA of `make run`, var/pki)
#   KOPRIK=koprik KOPRIK_REGISTRY_URL=... KOPRIK_GATEWAY_URL=... KOPRIK_TLS_CA=... KOPRIK_CA_DIR=... \
#     KOPRIK_OPERATOR_CERT=... KOPRIK_OPERATOR_KEY=... deploy/examples/onboarding-walkthrough.sh
set -euo pipefail

koprik=${KOPRIK:-./target/debug/koprik}
ca_dir=${KOPRIK_CA_DIR:-var/pki}
cert_dir=${KOPRIK_CERT_DIR:-var/walkthrough-certs}
export KOPRIK_TLS_CA=${KOPRIK_TLS_CA:-$ca_dir/ca.pem}
operator_cert=${KOPRIK_OPERATOR_CERT:-$ca_dir/clients/operator_koprik-admin.pem}
operator_key=${KOPRIK_OPERATOR_KEY:-$ca_dir/clients/operator_koprik-admin.key}
# Nothing is taken from the caller's KOPRIK_TLS_CERT/KEY: each step says whose certificate it is taken with.
unset KOPRIK_TLS_CERT KOPRIK_TLS_KEY
org=UZ/GOV/${STIR:-302515837}
system=$org/social-benefits
service=UZ/GOV/201122919/civil-registry/person-by-pinfl/v1
# The system's certificate, as `koprik cert issue --role consumer` writes it: <role>_<principal, '/' as '_'>.
applicant_cert=$cert_dir/consumer_${system//\//_}.pem
applicant_key=$cert_dir/consumer_${system//\//_}.key
as_operator() { "$koprik" --tls-cert "$operator_cert" --tls-key "$operator_key" "$@"; }
as_applicant() { "$koprik" --tls-cert "$applicant_cert" --tls-key "$applicant_key" "$@"; }
step() { printf '\n== %s\n' "$*"; }

step "The operator registers the ministry and its information system"
as_operator org-create --id "$org" --name "Ijtimoiy himoya milliy agentligi" --type state-body --role iip-consumer
as_operator subsystem-create --id "$system" --name "Social benefits"

step "The operator issues the ministry's system its client certificate (role consumer) and registers it"
as_operator cert issue --role consumer --principal "$system" --ca-dir "$ca_dir" --out-dir "$cert_dir"

step "The ministry, with its system's certificate, records the application-form fields"
as_applicant subsystem-form --id "$system" --purpose "Assign social benefits" \
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
id=$(as_applicant application-submit "$form" | sed -n 1p | awk '{print $2}')
echo "application $id"

step "The ministry cannot take the operator's steps: approving its own application is refused"
if refusal=$(as_applicant application-approve --id "$id" 2>&1); then
  echo "expected a refusal: $refusal" >&2; exit 1
fi
echo "$refusal"
case "$refusal" in *PermissionDenied*) ;; *) echo "expected PERMISSION_DENIED" >&2; exit 1 ;; esac

step "Review within 7 working days, TI within 7, connection within 5 (A1 §9-11)"
as_operator application-review --id "$id" | sed -n 1p
as_operator application-approve --id "$id" | sed -n 1p
as_operator application-agree-ti --id "$id" --reference TI-2026/77 --permit "$service=surname,birth_date" | sed -n 1p
as_operator application-connect --id "$id"
grant=$(as_applicant application-show --id "$id" | awk '$1 == "grant" {print $2}')

step "The ministry's officer gets a signing key; the operator registers its public key (REG-2 p. 14)"
"$koprik" key generate --out "$keys/officer.pem"
as_operator key register --key-id social-benefits.officer-1 --subsystem "$system" --purpose officer \
  --key-file "$keys/officer.pem" --holder-name "Madina Rashidova" --holder-position "Head of IT"
export KOPRIK_OFFICER_KEY=$keys/officer.pem KOPRIK_OFFICER_KEY_ID=social-benefits.officer-1
export KOPRIK_OFFICER_NAME="Madina Rashidova" KOPRIK_OFFICER_POSITION="Head of IT"
# Each request names the public service it is made for (its number in the Unified Registry) and the applicant's
# request it answers.
number=$(as_applicant public-service list --body UZ/GOV/201122919 | awk '$3 == "LIVE" {print $2; exit}')
call() {
  as_applicant call --service "$service" --pinfl 31403850260011 \
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
as_operator grant-set-status --id "$grant" --status suspended --ground suspend-unagreed-purpose \
  --reason "data used for a purpose the TI does not state" --notice "01-12/901,2026-11-23,A. Karimov, director"
sleep 1
if call --item surname; then
  echo "expected a refusal" >&2; exit 1
fi

step "Reinstatement"
as_operator grant-set-status --id "$grant" --status active
sleep 1
call --item surname

step "An asynchronous request: accepted with its legal deadline (REG-2 p. 17), answered later"
submitted=$(as_applicant submit --service "$service" --pinfl 31403850260011 \
  --public-service "$number" --applicant-request "SB-2026-00043" --item surname)
echo "$submitted"
request_id=$(echo "$submitted" | sed -n 's/^request id: //p' | head -1)
for _ in $(seq 1 20); do
  answer=$(as_applicant get "$request_id")
  case "$answer" in *Karimov*) break ;; esac
  sleep 0.5
done
echo "$answer"
case "$answer" in *Karimov*) ;; *) echo "the submitted request was not answered" >&2; exit 1 ;; esac
as_applicant application-show --id "$id"
