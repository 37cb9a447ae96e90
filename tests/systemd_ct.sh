# A container with systemd as PID 1, for tests of the unit. Source it after
# lib.sh; then:
#   ct_boot          boots it (sets CT_PID) or skips the test saying why
#   ct CMD...        runs CMD inside (its mount, pid, uts, ipc, net namespaces)
#   ct_shutdown      kills it (also run at exit)
#
# The container's root is its own: an overlay whose lower layer is this
# machine's root (read-only to it) and whose upper layer is a fresh tmpfs,
# with its own /tmp, /run, /dev (a few character devices, private /dev/shm
# and devpts), a read-only /sys and /proc/sys, its own cgroup subtree and
# network namespace (loopback only). Booting systemd on the machine's own
# root would run its tmpfiles step on the machine's /tmp and start its
# units: nothing the container does reaches the machine's files. Its
# capability bounding set lacks what acts on the whole machine (modules,
# clock, raw I/O, kernel log).

CT_DIR=
CT_PID=
CT_CGROUPS=()    # the container's cgroup in every hierarchy it mounts

# ct_skip_reason: why systemd cannot boot here, or nothing.
ct_skip_reason () {
    [ "$(id -u)" -eq 0 ] || { echo "needs root to boot systemd in a container"; return; }
    [ -x /lib/systemd/systemd ] || { echo "no /lib/systemd/systemd (apt-get install systemd)"; return; }
    grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || true
    grep -qw overlay /proc/filesystems || { echo "the kernel has no overlay file system"; return; }
    local tool
    for tool in unshare nsenter setpriv pivot_root; do
        command -v $tool >/dev/null || { echo "no $tool (apt-get install util-linux)"; return; }
    done
    [ -e /proc/self/ns/cgroup ] || { echo "the kernel has no cgroup namespaces"; return; }
    case $(stat -fc %T /sys/fs/cgroup 2>/dev/null) in
    cgroup2fs) [ -w /sys/fs/cgroup/cgroup.procs ] || echo "/sys/fs/cgroup is not writable" ;;
    tmpfs) [ -w /sys/fs/cgroup/systemd/cgroup.procs ] ||
        echo "no writable name=systemd cgroup hierarchy at /sys/fs/cgroup/systemd" ;;
    *) echo "no cgroup file system at /sys/fs/cgroup" ;;
    esac
}

ct_boot () {
    local why
    why=$(ct_skip_reason)
    [ -z "$why" ] || skip "systemd cannot boot here: $why"
    CT_DIR=$T/ct
    mkdir -p "$CT_DIR/up" "$CT_DIR/root"
    # The container's cgroup namespace is rooted in a cgroup of its own in
    # every hierarchy it mounts: its systemd creates its slices there, not
    # in the machine's root cgroup.
    local unified=0 hybrid=0
    if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
        unified=1
        CT_CGROUPS=(/sys/fs/cgroup/wrp-ct.$$)
    else
        CT_CGROUPS=(/sys/fs/cgroup/systemd/wrp-ct.$$)
        if [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
            hybrid=1
            CT_CGROUPS+=(/sys/fs/cgroup/unified/wrp-ct.$$)
        fi
    fi
    at_exit ct_shutdown
    mkdir "${CT_CGROUPS[@]}"
    cat >"$CT_DIR/init.sh" <<EOF
set -eu
r=$CT_DIR/root
mount --make-rprivate /
mount -t tmpfs -o mode=0755 wrp-ct $CT_DIR/up
mkdir -p $CT_DIR/up/upper $CT_DIR/up/work
mount -t overlay wrp-ct -o lowerdir=/,upperdir=$CT_DIR/up/upper,workdir=$CT_DIR/up/work \$r
mount -t proc proc \$r/proc
mount --bind \$r/proc/sys \$r/proc/sys
mount -o remount,bind,ro \$r/proc/sys
[ ! -e \$r/proc/sysrq-trigger ] || mount --bind /dev/null \$r/proc/sysrq-trigger
mount -t sysfs -o ro sysfs \$r/sys
if [ $unified = 1 ]; then
    mount -t cgroup2 cgroup2 \$r/sys/fs/cgroup
else
    mount -t tmpfs -o mode=0755 cgroup \$r/sys/fs/cgroup
    mkdir \$r/sys/fs/cgroup/systemd \$r/sys/fs/cgroup/unified
    mount -t cgroup -o none,name=systemd cgroup \$r/sys/fs/cgroup/systemd
    if [ $hybrid = 1 ]; then
        mount -t cgroup2 cgroup2 \$r/sys/fs/cgroup/unified
    else
        rmdir \$r/sys/fs/cgroup/unified
    fi
fi
mount -t tmpfs -o mode=0755,nosuid dev \$r/dev
for n in null zero full random urandom tty; do
    touch \$r/dev/\$n
    mount --bind /dev/\$n \$r/dev/\$n
done
mkdir \$r/dev/pts \$r/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts \$r/dev/pts
ln -s pts/ptmx \$r/dev/ptmx
mount -t tmpfs -o mode=1777,nosuid,nodev shm \$r/dev/shm
touch \$r/dev/console
mount --bind /dev/null \$r/dev/console
mount -t tmpfs -o mode=1777 tmp \$r/tmp
mount -t tmpfs -o mode=0755 run \$r/run
mkdir -p \$r/etc/systemd/system
printf '[Unit]\nDescription=wrp test boot\nRequires=basic.target\nAfter=basic.target\n' \
    >\$r/etc/systemd/system/wrp-ct.target
echo wrp-ct >\$r/etc/hostname
printf '127.0.0.1 localhost\n127.0.1.1 wrp-ct\n' >\$r/etc/hosts
: >\$r/etc/machine-id
mkdir -p \$r/.oldroot
cd \$r
pivot_root . .oldroot
umount -l /.oldroot
rmdir /.oldroot
exec env -i container=wrp-ct \
    setpriv --bounding-set -sys_module,-sys_time,-sys_rawio,-syslog,-wake_alarm,-block_suspend,-sys_pacct,-mac_admin,-mac_override \
    /lib/systemd/systemd --unit=wrp-ct.target
EOF
    (
        for cg in "${CT_CGROUPS[@]}"; do echo $BASHPID >"$cg/cgroup.procs"; done
        exec unshare --mount --pid --fork --uts --ipc --net --cgroup bash "$CT_DIR/init.sh"
    ) >"$CT_DIR/boot.log" 2>&1 &
    local launcher=$!
    # The container's PID 1 is the child of unshare (the launcher), once it
    # has become systemd.
    local deadline=$(($(date +%s) + 20)) exe
    while :; do
        CT_PID=$(pgrep -P $launcher | head -n 1 || true)
        exe=$( [ -z "$CT_PID" ] || readlink "/proc/$CT_PID/exe" 2>/dev/null || true)
        case $exe in */systemd/systemd) break ;; esac
        kill -0 $launcher 2>/dev/null || {
            cat "$CT_DIR/boot.log"
            CT_PID=
            skip "systemd cannot boot here: the container's init failed: $(grep -v -m 1 dmesg "$CT_DIR/boot.log")"
        }
        [ "$(date +%s)" -lt $deadline ] || { cat "$CT_DIR/boot.log"; fail "no systemd in the container after 20 s"; }
        sleep 0.1
    done
    echo "container: systemd is pid $CT_PID"
    local state=
    deadline=$(($(date +%s) + 90))
    while :; do
        state=$(ct systemctl is-system-running 2>/dev/null || true)
        case $state in running | degraded) break ;; esac
        kill -0 "$CT_PID" 2>/dev/null || { cat "$CT_DIR/boot.log"; fail "systemd in the container died while booting"; }
        [ "$(date +%s)" -lt $deadline ] || { ct systemctl list-jobs --no-pager || true; fail "the container did not finish booting in 90 s (state '$state')"; }
        sleep 0.2
    done
    echo "container: booted ($state)"
}

ct () {
    nsenter --target "$CT_PID" --mount --pid --uts --ipc --net --root --wd -- \
        env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
        LANG=C.UTF-8 TERM=dumb SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}

ct_shutdown () {
    if [ -n "$CT_PID" ] && kill -0 "$CT_PID" 2>/dev/null; then
        # PID 1 of the namespace: its death ends every process inside.
        kill -KILL "$CT_PID"
        local i
        for ((i = 0; i < 200; i++)); do
            [ -n "$(find "${CT_CGROUPS[0]}" -name cgroup.procs -exec cat {} + 2>/dev/null)" ] || break
            sleep 0.05
        done
    fi
    CT_PID=
    local cg
    for cg in "${CT_CGROUPS[@]}"; do
        [ ! -d "$cg" ] || find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null || true
        [ ! -d "$cg" ] || echo "warning: could not remove the container's cgroup $cg" >&2
    done
}
