// The host side of an apt package patch: POSIX sh run as root (through the
// credential's `become`), generated from a validated spec. Every value taken
// from the spec is validated (package-patch.ts) AND single-quoted into a
// variable assignment at the top of the script; everything else the scripts
// handle comes from dpkg and apt on the host, and is only ever expanded inside
// double quotes.
//
// The plan is the contract between the four scripts, a tab-separated text the
// capture writes to `<dir>/plan` and prints (so it is stored in PostgreSQL
// with the rendered rollback before anything changes):
//
//   dir     /var/lib/vulnzero/deployments/<deployment id>
//   target  openssl=3.0.22-1~deb12u2                      (what apt was asked for)
//   pkg     <name[:arch]> <before> <after> <mark> <hold> <origin> <sha256> <kept .deb>
//
// `before` is the installed version, `-` (not installed) or `~` (only its
// configuration files left); `after` is the version apt plans; `mark` is
// `auto`/`manual` (`-` when not installed); `hold` is `hold`/`-`; `origin`
// says where the kept .deb came from: `cache` (/var/cache/apt/archives),
// `archive` (`apt-get download`), `repack` (`dpkg-repack` of the installed
// files) or `-` (nothing was installed).
import { quoteShellArg } from '../../../ssh/src/core/shell-quote';

/**
 * Shell text as written: backslashes stay (`\t` for printf, `\(` for awk),
 * and `\${…}` is the shell's own expansion, not the template's.
 */
function sh(strings: TemplateStringsArray, ...values: unknown[]): string {
  return String.raw(strings, ...values).replaceAll('\\${', '${');
}

/** Where kept packages live on a host, one directory per deployment. */
export const ROLLBACK_ARTIFACT_ROOT = '/var/lib/vulnzero/deployments';

export interface AptScriptParams {
  /** `source`: every installed binary built from `target`; `name`: the binary package `target`. */
  mode: 'source' | 'name';
  target: string;
  version: string;
  /** Services restarted after apply and after rollback, in order. */
  restart: readonly string[];
  /** Seconds apt waits for the dpkg lock (unattended-upgrades may hold it). */
  lockTimeoutSeconds: number;
  /** A capture removes other deployments' kept packages older than this. */
  artifactDays: number;
}

function assignments(params: AptScriptParams): string {
  return [
    `vz_mode=${quoteShellArg(params.mode)}`,
    `vz_target=${quoteShellArg(params.target)}`,
    `vz_version=${quoteShellArg(params.version)}`,
    `vz_lock=${quoteShellArg(String(params.lockTimeoutSeconds))}`,
    `vz_days=${quoteShellArg(String(params.artifactDays))}`,
    `vz_restart=${quoteShellArg(params.restart.join(' '))}`,
  ].join('; ');
}

// Shared by every script: strict variables, the C locale (apt's and dpkg's
// messages are parsed), non-interactive apt, and the helpers below.
const PRELUDE = sh`set -u
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
vz_tab=$(printf '\t')
vz_fail() { printf 'vulnzero: %s\n' "$*" >&2; exit 3; }
vz_root=${ROLLBACK_ARTIFACT_ROOT}
vz_need_root() { [ "$(id -u)" = 0 ] || vz_fail "package patches run as root: give the host's credential become (sudo)"; }
vz_deployment_dir() {
  case "\${VZ_DEPLOYMENT_ID:-}" in
    ''|*[!0-9a-f-]*) vz_fail "VZ_DEPLOYMENT_ID is not set: package patch commands run only within a deployment" ;;
  esac
  vz_dir="$vz_root/$VZ_DEPLOYMENT_ID"
}
# The installed state of a package: its version, - (not installed) or ~ (config files only).
vz_state() {
  dpkg-query -W -f='\${Status}\n\${Version}\n' "$1" 2>/dev/null | {
    IFS= read -r vz_st || vz_st=''
    IFS= read -r vz_v || vz_v=''
    case "$vz_st" in
      *' installed') printf '%s\n' "$vz_v" ;;
      *' config-files') printf '~\n' ;;
      ''|*' not-installed') printf -- '-\n' ;;
      *) printf '!%s\n' "$vz_st" ;;
    esac
  }
}
# Restarts the patch's services: systemd when it runs, else the init script.
vz_restart_services() {
  for vz_s in $vz_restart; do
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
      systemctl restart "$vz_s" || vz_fail "restart of $vz_s failed (systemctl restart)"
    elif [ -x "/etc/init.d/$vz_s" ]; then
      "/etc/init.d/$vz_s" restart || vz_fail "restart of $vz_s failed (/etc/init.d/$vz_s restart)"
    else
      service "$vz_s" restart || vz_fail "restart of $vz_s failed (service $vz_s restart)"
    fi
    printf 'restarted %s\n' "$vz_s"
  done
}
vz_apt_options() {
  set -- -o "DPkg::Lock::Timeout=$vz_lock" -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold
  printf '%s\n' "$@"
}`;

// Resolves what apt is asked to install: for a source, every installed binary
// built from it, each at its available version built from that source version
// (a binary-only rebuild `+bN` counts); for a binary, every installed
// architecture of it, or the native one when it is not installed.
const RESOLVE_TARGETS = sh`vz_source_version_of() {
  # The source version of "$1=$2" in apt's cache (the Source field's "(version)", else the version).
  apt-cache show "$1=$2" 2>/dev/null | awk -v v="$2" '
    /^Source:/ { if (match($0, /\(.*\)/)) { print substr($0, RSTART + 1, RLENGTH - 2); found = 1; exit } }
    /^$/ { exit }
    END { if (!found) print v }'
}
vz_resolve_targets() {
  : >"$vz_dir/targets"
  if [ "$vz_mode" = source ]; then
    dpkg-query -W -f='\${Status}\t\${binary:Package}\t\${source:Package}\n' | awk -F "$vz_tab" -v s="$vz_target" '$3 == s && $1 ~ / installed$/ { print $2 }' >"$vz_dir/binaries"
    while IFS= read -r vz_b; do
      vz_pick=''
      for vz_v in $(apt-cache madison "$vz_b" 2>/dev/null | awk -F '|' '{ gsub(/ /, "", $2); print $2 }' | uniq); do
        if [ "$(vz_source_version_of "$vz_b" "$vz_v")" = "$vz_version" ]; then vz_pick=$vz_v; break; fi
      done
      [ -n "$vz_pick" ] || vz_fail "no version of $vz_b built from $vz_target $vz_version is available (apt-cache madison $vz_b)"
      printf '%s=%s\n' "$vz_b" "$vz_pick" >>"$vz_dir/targets"
    done <"$vz_dir/binaries"
  else
    dpkg-query -W -f='\${Status}\t\${binary:Package}\t\${Package}\n' | awk -F "$vz_tab" -v n="$vz_target" '$3 == n && $1 ~ / installed$/ { print $2 }' >"$vz_dir/binaries"
    [ -s "$vz_dir/binaries" ] || printf '%s\n' "$vz_target" >"$vz_dir/binaries"
    while IFS= read -r vz_b; do printf '%s=%s\n' "$vz_b" "$vz_version" >>"$vz_dir/targets"; done <"$vz_dir/binaries"
  fi
}`;

// Keeps the installed .deb of "$1" (dpkg name) at version "$2", arch "$3" in
// "$4": from apt's cache, else downloaded while the archive has it, else
// rebuilt from the installed files with dpkg-repack. Prints origin and file.
const KEEP_DEB = sh`vz_keep_deb() {
  vz_q=$1; vz_v=$2; vz_a=$3; vz_into=$4
  mkdir -p "$vz_into"
  vz_name=\${vz_q%%:*}
  vz_cached="/var/cache/apt/archives/\${vz_name}_$(printf '%s' "$vz_v" | sed 's/:/%3a/g')_\${vz_a}.deb"
  vz_origin=''
  if [ -f "$vz_cached" ] && vz_deb_is "$vz_cached" "$vz_name" "$vz_v" "$vz_a"; then
    cp "$vz_cached" "$vz_into/" && vz_origin=cache
  fi
  if [ -z "$vz_origin" ] && (cd "$vz_into" && apt-get download -q -o APT::Sandbox::User=root "$vz_q=$vz_v" >/dev/null 2>"$vz_into.err"); then
    vz_origin=archive
  fi
  if [ -z "$vz_origin" ]; then
    rm -f "$vz_into"/*.deb
    command -v dpkg-repack >/dev/null 2>&1 || vz_fail "cannot keep $vz_q $vz_v: not in apt's cache, not in the archive ($(tail -n 1 "$vz_into.err" 2>/dev/null)), and dpkg-repack is not installed"
    # --tag=none (dpkg-repack >= 1.50): no "(Repackaged on …)" line in the description, so dpkg's record is the original's.
    (cd "$vz_into" && { dpkg-repack --tag=none "$vz_q" || dpkg-repack "$vz_q"; } >/dev/null 2>"$vz_into.err") || vz_fail "cannot keep $vz_q $vz_v: dpkg-repack failed: $(tail -n 1 "$vz_into.err")"
    vz_origin=repack
  fi
  rm -f "$vz_into.err"
  set -- "$vz_into"/*.deb
  [ $# -eq 1 ] && [ -f "$1" ] || vz_fail "cannot keep $vz_q $vz_v: expected one .deb in $vz_into"
  vz_deb_is "$1" "$vz_name" "$vz_v" "$vz_a" || vz_fail "the kept $1 is not $vz_name $vz_v $vz_a"
  printf '%s\t%s\n' "$vz_origin" "$1"
}
vz_deb_is() {
  [ "$(dpkg-deb -f "$1" Package Version Architecture 2>/dev/null | tr '\n' ' ')" = "Package: $2 Version: $3 Architecture: $4 " ]
}`;

/**
 * Capture: as root, resolves the targets, asks apt for its plan (`-s`,
 * `--no-remove`: a patch that would remove a package is refused), records
 * every planned package's state and marks, keeps its installed .deb with a
 * checksum, and prints the plan. Nothing on the host changes but the
 * deployment's directory; on any failure that directory is removed.
 */
export function aptCaptureScript(params: AptScriptParams): string {
  return `${assignments(params)}
${PRELUDE}
${RESOLVE_TARGETS}
${KEEP_DEB}
${sh`vz_need_root
vz_deployment_dir
mkdir -p "$vz_root" && chmod 700 /var/lib/vulnzero "$vz_root" || vz_fail "cannot create $vz_root"
# Kept packages of other deployments older than the retention go (ROLLBACK_ARTIFACT_DAYS).
find "$vz_root" -mindepth 1 -maxdepth 1 -type d -mtime +"$vz_days" ! -name "$VZ_DEPLOYMENT_ID" -exec rm -rf {} + 2>/dev/null
rm -rf "$vz_dir"
mkdir -m 700 "$vz_dir" || vz_fail "cannot create $vz_dir"
trap 'vz_s=$?; [ "$vz_s" -eq 0 ] || rm -rf "$vz_dir"' EXIT
vz_resolve_targets
set --
while IFS= read -r vz_t; do set -- "$@" "$vz_t"; done <"$vz_dir/targets"
: >"$vz_dir/apt-plan"
if [ $# -gt 0 ]; then
  apt-get install -s -y --no-remove "$@" >"$vz_dir/apt-plan" 2>"$vz_dir/apt-plan.err" || vz_fail "apt cannot plan $*: $(grep -v '^W:' "$vz_dir/apt-plan.err" | tail -n 3 | tr '\n' ' ')"
fi
vz_native=$(dpkg --print-architecture)
{
  printf 'dir\t%s\n' "$vz_dir"
  for vz_t in "$@"; do printf 'target\t%s\n' "$vz_t"; done
} >"$vz_dir/plan.tmp"
awk '$1 == "Inst" {
  name = $2; sub(/:.*/, "", name); old = "-"; i = 3
  if ($3 ~ /^\[/) { old = $3; gsub(/[][]/, "", old); i = 4 }
  new = $i; sub(/^\(/, "", new)
  arch = $NF; gsub(/[][)]/, "", arch)
  print name "\t" arch "\t" new
}' "$vz_dir/apt-plan" >"$vz_dir/changes"
vz_i=0
while IFS="$vz_tab" read -r vz_name vz_arch vz_new; do
  vz_i=$((vz_i + 1))
  vz_q=$vz_name
  [ "$vz_arch" = "$vz_native" ] || [ "$vz_arch" = all ] || vz_q="$vz_name:$vz_arch"
  vz_before=$(vz_state "$vz_q")
  case "$vz_before" in '!'*) vz_fail "$vz_q is in state \${vz_before#!}: fix it with dpkg before patching" ;; esac
  vz_mark=-; vz_hold=-; vz_origin=-; vz_sum=-; vz_file=-
  case "$vz_before" in
    -|'~') ;;
    *)
      if [ -n "$(apt-mark showauto "$vz_q" 2>/dev/null)" ]; then vz_mark=auto; else vz_mark=manual; fi
      [ "$(dpkg --get-selections "$vz_q" 2>/dev/null | awk '{ print $2 }')" = hold ] && vz_hold=hold
      vz_kept=$(vz_keep_deb "$vz_q" "$vz_before" "$vz_arch" "$vz_dir/debs/$vz_i") || exit 3
      vz_origin=\${vz_kept%%"$vz_tab"*}
      vz_file=\${vz_kept#*"$vz_tab"}
      vz_sum=$(sha256sum "$vz_file" | cut -d ' ' -f 1)
      ;;
  esac
  printf 'pkg\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$vz_q" "$vz_before" "$vz_new" "$vz_mark" "$vz_hold" "$vz_origin" "$vz_sum" "$vz_file" >>"$vz_dir/plan.tmp"
done <"$vz_dir/changes"
mv "$vz_dir/plan.tmp" "$vz_dir/plan"
cat "$vz_dir/plan"`}`;
}

/**
 * Apply: installs exactly the captured plan's `name=version` set, keeping
 * changed configuration files and waiting for the dpkg lock, restores the
 * auto/manual marks apt changed by being asked by name, and checks every
 * planned package against the plan. Then the patch's restarts.
 */
export function aptApplyScript(params: AptScriptParams): string {
  return `${assignments(params)}
${PRELUDE}
${sh`vz_need_root
vz_deployment_dir
[ -f "$vz_dir/plan" ] || vz_fail "no captured plan at $vz_dir/plan: the capture of this deployment did not run on this host"
set --
while IFS="$vz_tab" read -r vz_k vz_q vz_before vz_new vz_rest; do
  [ "$vz_k" = pkg ] && set -- "$@" "$vz_q=$vz_new"
done <"$vz_dir/plan"
if [ $# -eq 0 ]; then
  echo "nothing to install: every package is already at the planned version"
else
  vz_pkgs="$*"
  set -- $(vz_apt_options) "$@"
  apt-get install -y --no-remove "$@" || vz_fail "apt-get install failed for $vz_pkgs"
fi
vz_bad=''
while IFS="$vz_tab" read -r vz_k vz_q vz_before vz_new vz_mark vz_rest; do
  [ "$vz_k" = pkg ] || continue
  # apt marks what it is asked for by name as manual: put back what it was (new dependencies are automatic).
  if grep -qxF "target$vz_tab$vz_q=$vz_new" "$vz_dir/plan" || grep -qxF "target$vz_tab\${vz_q%%:*}=$vz_new" "$vz_dir/plan"; then
    [ "$vz_mark" = auto ] && apt-mark auto "$vz_q" >/dev/null
  elif [ "$vz_mark" = manual ]; then apt-mark manual "$vz_q" >/dev/null
  else apt-mark auto "$vz_q" >/dev/null
  fi
  vz_now=$(vz_state "$vz_q")
  [ "$vz_now" = "$vz_new" ] || vz_bad="$vz_bad $vz_q=$vz_now(planned $vz_new)"
done <"$vz_dir/plan"
[ -z "$vz_bad" ] || vz_fail "the host does not match the plan after apply:$vz_bad"
echo "every planned package is at its planned version"
vz_restart_services`}`;
}

/**
 * Verify: exits 0 when the change is in place: every installed binary of the
 * source is at the patch's source version (a binary: at its version), and,
 * within a deployment whose plan is on the host, every planned package at its
 * planned version. Exits 1 otherwise, naming what is not.
 */
export function aptVerifyScript(params: AptScriptParams): string {
  return `${assignments(params)}
${PRELUDE}
${sh`vz_bad=0
if [ "$vz_mode" = source ]; then
  dpkg-query -W -f='\${Status}\t\${binary:Package}\t\${source:Package}\t\${source:Version}\t\${Version}\n' |
    awk -F "$vz_tab" -v s="$vz_target" -v v="$vz_version" '$3 == s && $1 ~ / installed$/ && $4 != v { print $2 " is at " $5 " (source " $4 "), not source " v; bad = 1 } END { exit bad }' || vz_bad=1
else
  vz_now=$(vz_state "$vz_target")
  [ "$vz_now" = "$vz_version" ] || { echo "$vz_target is at $vz_now, not $vz_version"; vz_bad=1; }
fi
vz_dir="$vz_root/\${VZ_DEPLOYMENT_ID:-none}"
if [ -n "\${VZ_DEPLOYMENT_ID:-}" ] && [ -f "$vz_dir/plan" ]; then
  while IFS="$vz_tab" read -r vz_k vz_q vz_before vz_new vz_rest; do
    [ "$vz_k" = pkg ] || continue
    vz_now=$(vz_state "$vz_q")
    [ "$vz_now" = "$vz_new" ] || { echo "$vz_q is at $vz_now, planned $vz_new"; vz_bad=1; }
  done <"$vz_dir/plan"
fi
exit "$vz_bad"`}`;
}
/**
 * The rollback: two commands. The first writes `{{plan}}`, the captured plan,
 * into the deployment's directory (a printf argument and a redirection: data;
 * it defines no function, so the placeholder rules accept it); the second
 * restores from it and proves itself: it ends with every planned package back
 * at its captured state (version and status, marks), or fails naming what is
 * not.
 */
export function aptRollbackTemplates(params: AptScriptParams): string[] {
  const writePlan = [
    `case "\${VZ_DEPLOYMENT_ID:-}" in ''|*[!0-9a-f-]*) echo 'vulnzero: VZ_DEPLOYMENT_ID is not set: package patch commands run only within a deployment' >&2; exit 3 ;; esac`,
    `mkdir -p -m 700 ${ROLLBACK_ARTIFACT_ROOT}/"$VZ_DEPLOYMENT_ID" || exit 3`,
    `printf '%s\\n' {{plan}} >${ROLLBACK_ARTIFACT_ROOT}/"$VZ_DEPLOYMENT_ID"/rollback-plan`,
  ].join('\n');
  return [writePlan, aptRestoreScript(params)];
}

function aptRestoreScript(params: AptScriptParams): string {
  return `${assignments(params)}
${PRELUDE}
${sh`vz_need_root
vz_deployment_dir
vz_plan_file="$vz_dir/rollback-plan"
[ -f "$vz_plan_file" ] || vz_fail "no stored plan at $vz_plan_file"
[ "$(awk -F "$vz_tab" '$1 == "dir" { print $2; exit }' "$vz_plan_file")" = "$vz_dir" ] || vz_fail "the stored plan belongs to another deployment"
# Prints every planned package not at its captured state; true when there is none.
vz_restored() {
  vz_m=0
  while IFS="$vz_tab" read -r vz_k vz_q vz_before vz_rest; do
    [ "$vz_k" = pkg ] || continue
    vz_now=$(vz_state "$vz_q")
    [ "$vz_now" = "$vz_before" ] || { echo "$vz_q is $vz_now, captured $vz_before"; vz_m=1; }
  done <"$vz_plan_file"
  return "$vz_m"
}
# Prints the package names read on stdin that are not among "$1" (with or without :arch).
vz_not_in() {
  while IFS= read -r vz_p; do
    case " $1 " in *" $vz_p "*|*" \${vz_p%%:*} "*) ;; *) printf '%s ' "$vz_p" ;; esac
  done
}
if vz_restored >/dev/null; then
  echo "every planned package is already at its captured state"
else
  set --
  vz_purge=''
  vz_remove=''
  while IFS="$vz_tab" read -r vz_k vz_q vz_before vz_new vz_mark vz_hold vz_origin vz_sum vz_file; do
    [ "$vz_k" = pkg ] || continue
    case "$vz_before" in
      -) [ "$(vz_state "$vz_q")" = - ] || vz_purge="$vz_purge $vz_q" ;;
      '~') [ "$(vz_state "$vz_q")" = '~' ] || vz_remove="$vz_remove $vz_q" ;;
      *)
        [ -f "$vz_file" ] || vz_fail "the kept package $vz_file of $vz_q $vz_before is gone"
        vz_got=$(sha256sum "$vz_file" | cut -d ' ' -f 1)
        [ "$vz_got" = "$vz_sum" ] || vz_fail "the kept package $vz_file changed: sha256 $vz_got, captured $vz_sum"
        set -- "$@" "$vz_file"
        ;;
    esac
  done <"$vz_plan_file"
  if [ $# -gt 0 ]; then
    vz_files="$*"
    set -- $(vz_apt_options) "$@"
    apt-get install -y --allow-downgrades --allow-change-held-packages --no-remove "$@" || vz_fail "reinstalling the kept packages failed: $vz_files"
  fi
  for vz_list in purge remove; do
    if [ "$vz_list" = purge ]; then vz_these=$vz_purge; else vz_these=$vz_remove; fi
    [ -n "$vz_these" ] || continue
    # Only what the patch installed goes: a removal that would take anything else is refused.
    vz_others=$(apt-get -s "$vz_list" $vz_these | awk '$1 == "Remv" || $1 == "Purg" { print $2 }' | vz_not_in "$vz_these")
    [ -z "$vz_others" ] || vz_fail "removing$vz_these would also remove $vz_others"
    apt-get "$vz_list" -y $(vz_apt_options) $vz_these || vz_fail "apt-get $vz_list$vz_these failed"
  done
fi
while IFS="$vz_tab" read -r vz_k vz_q vz_before vz_new vz_mark vz_hold vz_rest; do
  [ "$vz_k" = pkg ] || continue
  case "$vz_mark" in auto|manual) apt-mark "$vz_mark" "$vz_q" >/dev/null || vz_fail "apt-mark $vz_mark $vz_q failed" ;; esac
  case "$vz_before" in -|'~') ;; *)
    if [ "$vz_hold" = hold ]; then apt-mark hold "$vz_q" >/dev/null; else apt-mark unhold "$vz_q" >/dev/null; fi ;;
  esac
done <"$vz_plan_file"
if ! vz_restored >&2; then vz_fail "the rollback did not restore every planned package (above)"; fi
echo "every planned package is back at its captured state"
vz_restart_services
rm -rf "$vz_dir"`}`;
}

/**
 * After apply and after rollback: whether the host asks for a reboot, and the
 * processes still mapping a deleted (replaced) shared library, read from
 * /proc/<pid>/maps as root: what needrestart reports. One line each,
 * tab-separated; parsed by the engine (restart-report.ts). Always exits 0.
 */
export const RESTART_REPORT_SCRIPT = sh`if [ -e /var/run/reboot-required ] || [ -e /run/reboot-required ]; then printf 'reboot-required\n'; fi
for vz_m in /proc/[0-9]*/maps; do
  vz_p=\${vz_m#/proc/}; vz_p=\${vz_p%/maps}
  [ "$vz_p" = "$$" ] && continue
  awk '$NF == "(deleted)" && $6 ~ /\.so([.]|$)/ { print $6 }' "$vz_m" 2>/dev/null | sort -u | while IFS= read -r vz_l; do
    printf 'stale\t%s\t%s\t%s\n' "$vz_p" "$(tr -d '\t\n' </proc/"$vz_p"/comm 2>/dev/null)" "$vz_l"
  done
done
exit 0`;
