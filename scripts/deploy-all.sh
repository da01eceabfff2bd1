#!/usr/bin/env bash
# Whole-platform deployment of the plate platform: the libraries, then one environment's
# applications, each in dependency order.
#
# Steps: print the plan; confirm production; run platecheck for what will be deployed and
# stop on findings; deploy the libraries (scripts/deploy-libraries.sh) and wait for
# cert-manager; deploy the applications (scripts/deploy-stg.sh or scripts/deploy-prod.sh:
# plate-cache, plate-api, plate-llm in staging only, plate-web, then the shared ingress); run
# the health check (the cluster answers; cert-manager's pods are ready when the libraries were
# deployed; the environment's pods are ready when the applications were); print the status.
#
# Usage: scripts/deploy-all.sh [staging|production] [--skip-libraries|--libraries-only] [--dry-run]
#   staging            namespace plate-stg (default; "stg" works too)
#   production         namespace plate-prod ("prod" works too): asks for "yes" first, checks
#                      the kubectl context, backs up (see scripts/deploy-prod.sh --help)
#   --skip-libraries   deploy the applications only (the libraries are installed already)
#   --libraries-only   deploy the libraries only
#   --dry-run          change nothing (the same as DRY_RUN=true)
#   -h, --help         this text
#
# Environment:
#   DRY_RUN=true           change nothing; every step shows what it would do
#   CONFIRM_PRODUCTION=yes answer the production confirmation in advance (unattended runs;
#                          without it and without a terminal, production is refused)
#   WAIT_TIMEOUT=600s      how long each wait and the health check may take
#   PLATECHECK             the platecheck command of the gate (default: platecheck on PATH)
#   ARGOCD_NAMESPACE, SKIP_BACKUP, BACKUP_DIR
#                          passed on to scripts/deploy-stg.sh and scripts/deploy-prod.sh
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
readonly SCRIPT_DIR REPO_ROOT
readonly WAIT_TIMEOUT="${WAIT_TIMEOUT:-600s}"

# --dry-run is the same switch as DRY_RUN=true, which the library reads when it is sourced.
for arg in "$@"; do
  [[ "${arg}" != "--dry-run" ]] || export DRY_RUN=true
done

# shellcheck source-path=SCRIPTDIR source=lib/deploy-common.sh
source "${SCRIPT_DIR}/lib/deploy-common.sh"

ENVIRONMENT="staging"
LIBRARIES="true"
APPLICATIONS="true"

parse_args() {
  local seen_env=false arg
  for arg in "$@"; do
    case "${arg}" in
      staging | stg | production | prod)
        [[ "${seen_env}" == "false" ]] || usage_error "more than one environment given"
        seen_env=true
        ENVIRONMENT="${arg}"
        [[ "${arg}" != "stg" ]] || ENVIRONMENT="staging"
        [[ "${arg}" != "prod" ]] || ENVIRONMENT="production"
        ;;
      --skip-libraries) LIBRARIES="false" ;;
      --libraries-only) APPLICATIONS="false" ;;
      --dry-run) ;;
      -h | --help) usage; exit 0 ;;
      *) usage_error "unknown argument '${arg}'" ;;
    esac
  done
  [[ "${LIBRARIES}" == "true" || "${APPLICATIONS}" == "true" ]] \
    || usage_error "--skip-libraries and --libraries-only together leave nothing to deploy"
}

env_short() { [[ "${ENVIRONMENT}" == "production" ]] && echo prod || echo stg; }
namespace() { echo "plate-$(env_short)"; }

show_plan() {
  log "Deployment plan"
  printf '  environment:   %s (namespace %s)\n' "${ENVIRONMENT}" "$(namespace)"
  printf '  kubectl:       context %s\n' "$(current_context)"
  if [[ "${LIBRARIES}" == "true" ]]; then
    printf '  libraries:     scripts/deploy-libraries.sh (see its plan below)\n'
  else
    printf '  libraries:     skipped (--skip-libraries)\n'
  fi
  if [[ "${APPLICATIONS}" == "true" ]]; then
    printf '  applications:  %s (scripts/deploy-%s.sh)\n' "$(env_apps "$(env_short)")" "$(env_short)"
  else
    printf '  applications:  skipped (--libraries-only)\n'
  fi
  printf '  dry run:       %s\n' "${DRY_RUN}"
  if [[ "${LIBRARIES}" == "true" ]]; then
    "${SCRIPT_DIR}/deploy-libraries.sh" plan
  fi
}

confirm_production() {
  [[ "${ENVIRONMENT}" == "production" ]] || return 0
  if [[ "${DRY_RUN}" == "true" ]]; then
    log "Dry run: no confirmation needed, nothing will change"
    return 0
  fi
  check_production_context
  printf '\n  You are about to deploy the plan above to PRODUCTION.\n\n'
  confirm "Type 'yes' to continue: "
  # Asked once: the scripts run below must not ask again.
  export CONFIRM_PRODUCTION=yes
}

wait_for_libraries() {
  if [[ "${DRY_RUN}" == "true" ]]; then
    return 0
  fi
  log "Waiting for cert-manager (the applications' certificates need it)"
  kubectl wait --for=condition=Available deployment --all -n cert-manager \
    --timeout="${WAIT_TIMEOUT}" || die "cert-manager is not available after ${WAIT_TIMEOUT}"
}

# pods_ready NAMESPACE: every pod that is meant to keep running is Ready (a dry run only shows).
pods_ready() {
  kubectl get pods -n "$1" || return 1
  [[ "${DRY_RUN}" == "true" ]] && return 0
  kubectl wait --for=condition=Ready pod --all -n "$1" \
    --field-selector=status.phase!=Succeeded --timeout="${WAIT_TIMEOUT}"
}

health_check() {
  log "Health check"
  local failed=0
  kubectl cluster-info >/dev/null 2>&1 || die "health check: the cluster does not answer"
  log "Cluster reachable (context $(current_context))"
  if [[ "${LIBRARIES}" == "true" ]]; then
    pods_ready cert-manager || { warn "cert-manager pods are not ready"; failed=1; }
  fi
  if [[ "${APPLICATIONS}" == "true" ]]; then
    pods_ready "$(namespace)" || { warn "pods in $(namespace) are not ready"; failed=1; }
  fi
  ((failed == 0)) || die "health check failed: see the pods above and scripts/deploy-$(env_short).sh status"
}

final_status() {
  local done_what="deployed"
  [[ "${DRY_RUN}" != "true" ]] || done_what="checked (dry run: nothing was changed)"
  log "Done: ${ENVIRONMENT} ${done_what}"
  [[ "${LIBRARIES}" != "true" ]] || printf '  libraries:     %s\n' "${done_what}"
  [[ "${APPLICATIONS}" != "true" ]] \
    || printf '  applications:  %s, see scripts/deploy-%s.sh status\n' "${done_what}" "$(env_short)"
}

main() {
  parse_args "$@"
  if [[ "${LIBRARIES}" == "true" ]]; then preflight kubectl helm; else preflight kubectl; fi
  show_plan
  confirm_production
  [[ "${LIBRARIES}" != "true" ]] || platecheck_gate platform
  [[ "${APPLICATIONS}" != "true" ]] || platecheck_gate "$(env_short)"
  if [[ "${LIBRARIES}" == "true" ]]; then
    "${SCRIPT_DIR}/deploy-libraries.sh" deploy
    wait_for_libraries
  fi
  if [[ "${APPLICATIONS}" == "true" ]]; then
    "${SCRIPT_DIR}/deploy-$(env_short).sh" deploy
  fi
  health_check
  final_status
}

main "$@"
