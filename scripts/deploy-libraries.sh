#!/usr/bin/env bash
# Library deployment of the plate platform: the cluster services and development tools every
# environment relies on, installed layer by layer with `helm upgrade --install`.
#
# Each library is the Argo CD Application of the same name in environments/argocd/apps: its
# chart, repository, pinned version, release name, namespace and value files are read from
# that file, so the versions deployed here are the ones Argo CD deploys. Each layer is ready
# before the next starts. Running the script again upgrades in place (idempotent).
# Before anything is installed, platecheck checks the platform Applications.
#
# Usage: scripts/deploy-libraries.sh [deploy [LIBRARY...] | plan | status | --help]
#   deploy               install or upgrade every library, in the order below (default)
#   deploy LIBRARY...    only the libraries named, still in the order below
#   plan                 list the libraries in order: chart, version, namespace, value files
#   status               show each library's Helm release and the pods of its namespace
#   -h, --help           this text
#
# Libraries, in order:
#   cert-manager          upstream chart with its CRDs (crds.enabled in upstream-values.yaml);
#                         waits until the cert-manager CRDs are Established
#   cert-manager-issuers  this repository's ClusterIssuers (helm/cluster-services/cert-manager)
#   jenkins               Jenkins CI
#   metallb               upstream chart with its CRDs; waits until they are Established
#   metallb-config        this repository's IPAddressPool and L2Advertisement
#                         (helm/cluster-services/metallb)
#   nfs-provisioner       this repository's NFS provisioner and StorageClass nfs-client
#   argocd harbor prometheus grafana fluentd openbao
#                         the other development tools
#
# Environment:
#   DRY_RUN=true          change nothing: print each helm upgrade instead of running it and
#                         render this repository's charts with helm template
#   WAIT_TIMEOUT=600s     how long to wait for each layer to become ready
#   PLATECHECK            the platecheck command of the gate (default: platecheck on PATH)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
readonly SCRIPT_DIR REPO_ROOT
readonly WAIT_TIMEOUT="${WAIT_TIMEOUT:-600s}"

# The seeds' order: cert-manager (CRDs, chart, ClusterIssuers), Jenkins, MetalLB (chart, then
# the address pool), then the other cluster services and development tools.
readonly LIBRARIES=(
  cert-manager cert-manager-issuers jenkins metallb metallb-config nfs-provisioner
  argocd harbor prometheus grafana fluentd openbao
)

# The CRDs a layer must have Established before the next layer may use them.
layer_crds() {
  case "$1" in
    cert-manager)
      echo crd/certificates.cert-manager.io crd/issuers.cert-manager.io crd/clusterissuers.cert-manager.io
      ;;
    metallb) echo crd/ipaddresspools.metallb.io crd/l2advertisements.metallb.io ;;
  esac
}

# shellcheck source-path=SCRIPTDIR source=lib/deploy-common.sh
source "${SCRIPT_DIR}/lib/deploy-common.sh"

# read_library NAME: sets LIB_RELEASE, LIB_NAMESPACE, LIB_CHART (a chart name or a local
# directory), LIB_REPO (empty for a local chart), LIB_VERSION and LIB_VALUES (array of files)
# from the Application NAME, refusing what helm upgrade could not reproduce.
read_library() {
  local file prefix paths rel
  file="$(app_file "$1")"
  rel="${file#"${REPO_ROOT}/"}"
  paths="$(yaml_paths "${file}")"
  prefix="$(app_source_prefix "${file}" "${paths}")"
  field() { awk -F '\t' -v want="$1" '$1 == want { print $2; exit }' <<<"${paths}"; }
  local unsupported
  unsupported="$(awk -F '\t' -v p="${prefix}.helm." \
    'index($1, p) == 1 && substr($1, length(p) + 1) !~ /^(releaseName|valueFiles\.[0-9]+)$/ { print $1 }' \
    <<<"${paths}")"
  [[ -z "${unsupported}" ]] \
    || die "${rel}: ${unsupported%%$'\n'*} is not passed on by this script; deploy $1 through Argo CD"
  LIB_RELEASE="$(field "${prefix}.helm.releaseName")"
  [[ -n "${LIB_RELEASE}" ]] || LIB_RELEASE="$(field metadata.name)"
  LIB_NAMESPACE="$(field spec.destination.namespace)"
  [[ -n "${LIB_NAMESPACE}" ]] || die "${rel}: spec.destination.namespace is not set"
  local chart path
  chart="$(field "${prefix}.chart")"
  path="$(field "${prefix}.path")"
  LIB_VALUES=()
  local value base
  if [[ -n "${chart}" ]]; then
    LIB_CHART="${chart}"
    LIB_REPO="$(field "${prefix}.repoURL")"
    LIB_VERSION="$(field "${prefix}.targetRevision")"
    [[ -n "${LIB_VERSION}" ]] || die "${rel}: chart ${chart} has no targetRevision (version) pinned"
    base=""
  else
    LIB_CHART="${REPO_ROOT}/${path}"
    LIB_REPO=""
    LIB_VERSION="$(awk '$1 == "version:" { gsub(/"/, "", $2); print $2; exit }' \
      "${LIB_CHART}/Chart.yaml" 2>/dev/null || true)"
    [[ -d "${LIB_CHART}" ]] || die "${rel}: chart directory ${path} does not exist"
    base="${LIB_CHART}/"
  fi
  while IFS= read -r value; do
    [[ -n "${value}" ]] || continue
    # shellcheck disable=SC2016 # $values/ is Argo CD's literal prefix, not a shell expansion
    if [[ "${value}" == '$values/'* ]]; then
      value="${REPO_ROOT}/${value#"\$values/"}"
    elif [[ -z "${base}" ]]; then
      die "${rel}: value file ${value} is relative to an upstream chart; use \$values/"
    else
      value="${base}${value}"
    fi
    [[ -f "${value}" ]] || die "${rel}: value file ${value#"${REPO_ROOT}/"} does not exist"
    LIB_VALUES+=("${value}")
  done < <(awk -F '\t' -v p="${prefix}.helm.valueFiles." 'index($1, p) == 1 { print $2 }' <<<"${paths}")
}

helm_upgrade_args() {
  local args=(upgrade --install "${LIB_RELEASE}" "${LIB_CHART}")
  [[ -z "${LIB_REPO}" ]] || args+=(--repo "${LIB_REPO}" --version "${LIB_VERSION}")
  args+=(--namespace "${LIB_NAMESPACE}" --create-namespace)
  local value
  for value in "${LIB_VALUES[@]}"; do args+=(--values "${value}"); done
  args+=(--wait --timeout "${WAIT_TIMEOUT}")
  printf '%s\n' "${args[@]}"
}

# Platform Applications this script does not know would be silently left out: say so.
warn_unlisted() {
  local file name
  # Both files so that yaml_paths names the file on each line even when only one exists.
  while IFS=$'\t' read -r file name; do
    is_library "${name}" \
      || warn "${file#"${REPO_ROOT}/"}: platform Application ${name} is not deployed by this script"
  done < <(yaml_paths "${APPS_DIR}"/*.yaml /dev/null | awk -F '\t' '
    $2 == "metadata.name" { name[$1] = $3 }
    $2 == "metadata.labels.environment" && $3 == "platform" { platform[$1] = 1 }
    END { for (f in platform) print f "\t" name[f] }' | sort)
}

is_library() {
  local lib
  for lib in "${LIBRARIES[@]}"; do [[ "${lib}" == "$1" ]] && return 0; done
  return 1
}

check_names() {
  local name
  for name in "$@"; do
    is_library "${name}" || usage_error "unknown library '${name}' (one of: ${LIBRARIES[*]})"
  done
}

# selected NAME...: the libraries to deploy (all when none is named), in the fixed order.
selected() {
  local name lib
  for lib in "${LIBRARIES[@]}"; do
    if (($# == 0)); then echo "${lib}"; continue; fi
    for name in "$@"; do [[ "${lib}" == "${name}" ]] && echo "${lib}"; done
  done
}

describe_library() {
  local source="${LIB_CHART#"${REPO_ROOT}/"}"
  [[ -z "${LIB_REPO}" ]] || source="${LIB_CHART} ${LIB_VERSION} from ${LIB_REPO}"
  [[ -n "${LIB_REPO}" ]] || source="${source} (chart ${LIB_VERSION}, this repository)"
  printf '  %-21s %s -> namespace %s' "$1" "${source}" "${LIB_NAMESPACE}"
  local value
  for value in "${LIB_VALUES[@]}"; do printf ', values %s' "${value#"${REPO_ROOT}/"}"; done
  printf '\n'
}

plan() {
  check_names "$@"
  warn_unlisted
  log "Libraries, in order:"
  local lib
  while IFS= read -r lib; do
    read_library "${lib}"
    describe_library "${lib}"
  done < <(selected "$@")
}

deploy_library() {
  read_library "$1"
  log "Layer $1: ${LIB_CHART#"${REPO_ROOT}/"} ${LIB_VERSION} -> namespace ${LIB_NAMESPACE}"
  local args
  mapfile -t args < <(helm_upgrade_args)
  if [[ "${DRY_RUN}" == "true" && -z "${LIB_REPO}" ]]; then
    # This repository's charts render offline: show what would be applied.
    local values=() value
    for value in "${LIB_VALUES[@]}"; do values+=(--values "${value}"); done
    helm template "${LIB_RELEASE}" "${LIB_CHART}" --namespace "${LIB_NAMESPACE}" "${values[@]}" \
      || die "helm template failed for ${LIB_CHART#"${REPO_ROOT}/"}"
  fi
  mutate helm "${args[@]}" || die "helm upgrade --install of $1 failed"
  local crds
  read -r -a crds <<<"$(layer_crds "$1")"
  if ((${#crds[@]})) && [[ "${DRY_RUN}" != "true" ]]; then
    log "Waiting for the CRDs of $1: ${crds[*]}"
    kubectl wait --for=condition=Established --timeout="${WAIT_TIMEOUT}" "${crds[@]}" \
      || die "the CRDs of $1 are not Established after ${WAIT_TIMEOUT}"
  fi
}

deploy() {
  local libs lib
  check_names "$@"
  mapfile -t libs < <(selected "$@")
  preflight kubectl helm
  platecheck_gate platform
  warn_unlisted
  for lib in "${libs[@]}"; do
    deploy_library "${lib}"
  done
  if [[ "${DRY_RUN}" == "true" ]]; then
    log "Dry run: nothing was changed (${#libs[@]} libraries checked)"
  else
    log "Libraries deployed: ${libs[*]}"
  fi
}

status() {
  preflight kubectl helm
  local lib
  for lib in "${LIBRARIES[@]}"; do
    read_library "${lib}"
    log "${lib} (release ${LIB_RELEASE}, namespace ${LIB_NAMESPACE})"
    helm status "${LIB_RELEASE}" --namespace "${LIB_NAMESPACE}" 2>/dev/null \
      || warn "${lib} is not installed (no Helm release ${LIB_RELEASE} in ${LIB_NAMESPACE})"
    kubectl get pods --namespace "${LIB_NAMESPACE}" || true
  done
}

main() {
  local command="${1:-deploy}"
  (($# == 0)) || shift
  case "${command}" in
    deploy) deploy "$@" ;;
    plan) plan "$@" ;;
    status) (($# == 0)) || usage_error "status takes no arguments"; status ;;
    -h | --help | help) usage ;;
    *) usage_error "unknown command '${command}'" ;;
  esac
}

main "$@"
