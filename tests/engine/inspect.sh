# inspect (docker's JSON and --format templates), ps (columns, filters,
# --format, -n, -l, -q, -s), container prune, system df, system prune.

source "$TOP/tests/engine/lib-engine.sh"

# Two containers with labels (from their images): "done" exited with 7,
# "up" running.
two_containers() {
  cap run --name base busybox true
  cap commit -c 'LABEL role=batch' base lab:batch >/dev/null
  cap commit -c 'LABEL role=web tier=front' base lab:web >/dev/null
  cap rm base >/dev/null
  cap run --name done lab:batch sh -c 'echo data > /root/f; exit 7' || true
  cap run -d --name up lab:web sleep 60 >/dev/null
}

test_inspect_fields_and_formats() {
  engine_setup
  two_containers
  json=$(cap inspect done)
  assert_eq "$(jq -r '.[0].Name, .[0].State.Status, .[0].State.ExitCode, .[0].State.Running, .[0].Path, (.[0].Args | join(" "))' <<<"$json" | tr '\n' ' ')" \
    "/done exited 7 false sh -c echo data > /root/f; exit 7 " "Name, State, Path, Args"
  assert_match "$(jq -r '.[0].Id' <<<"$json")" '^[0-9a-f]{64}$' "Id"
  assert_eq "$(jq -r '.[0].Image' <<<"$json")" "$(cap image inspect -f '{{.Id}}' lab:batch)" "Image"
  assert_eq "$(jq -r '.[0].Config.Labels.role, .[0].Config.Image, .[0].RestartCount' <<<"$json" | tr '\n' ' ')" "batch lab:batch 0 " "Config"
  assert_eq "$(jq -r '.[0] | has("HostConfig") and has("Mounts") and has("NetworkSettings") and has("Created")' <<<"$json")" true
  assert_ne "$(jq -r '.[0].State.FinishedAt' <<<"$json")" "0001-01-01T00:00:00Z" "FinishedAt"
  # Each template form.
  assert_eq "$(cap inspect --format '{{.State.Status}}' done up)" "exited
running" "{{.State.Status}}, one line per object"
  assert_eq "$(cap inspect -f '{{.Name}} {{.State.Running}} {{.State.Pid}}' up | cut -d' ' -f1,2)" "/up true"
  [ "$(cap inspect -f '{{.State.Pid}}' up)" -gt 0 ] || fail "a running container's Pid"
  assert_eq "$(cap inspect -f '{{.NetworkSettings.IPAddress}}|' done)" "|" "{{.NetworkSettings.IPAddress}}"
  assert_eq "$(cap inspect -f '{{json .Config.Labels}}' up)" '{"role":"web","tier":"front"}' "{{json}}"
  assert_eq "$(cap inspect -f '{{index .Config.Labels "tier"}}' up)" front "{{index}}"
  assert_eq "$(cap inspect -f '{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}' up)" "role=web;tier=front;" "{{range}} over a map"
  assert_eq "$(cap inspect -f '{{range .Mounts}}{{.Destination}}{{else}}none{{end}}' up)" none "{{range}} with no mounts"
  assert_eq "$(cap inspect -f '{{if eq .State.ExitCode 7}}seven{{end}}' done)" seven "{{if eq}}"
  assert_eq "$(cap container inspect -f '{{.Name}}' done)" /done "container inspect"
  assert_eq "$(cap container inspect -s -f '{{.SizeRw}}' done)" 5 "-s: the layer's bytes"
  [ "$(cap inspect -s -f '{{.SizeRootFs}}' done)" -gt 1000000 ] || fail "-s: SizeRootFs"
  # Images too, by the same command; containers come first.
  assert_eq "$(cap inspect -f '{{.Config.Cmd}}' busybox)" "[/bin/sh]" "an image"
  assert_eq "$(cap image inspect -f '{{index .Config.Env 0}}' busybox)" "GREETING=hello" "image inspect --format"
  # Volumes and networks too.
  cap volume create insp-vol >/dev/null
  assert_eq "$(cap inspect -f '{{.Name}} {{.Driver}}' insp-vol bridge)" "insp-vol local
bridge bridge" "a volume, a network"
  assert_fails cap inspect --type network insp-vol
  cap volume rm insp-vol >/dev/null
  assert_fails cap inspect nosuch
  assert_eq "$RC" 1 "exit code (docker's)"
  assert_contains "$ERR" "no such object: nosuch"
  assert_fails cap inspect --type container busybox
  assert_contains "$ERR" "no such container"
  assert_fails cap inspect -f '{{.State.Status' done
  assert_contains "$ERR" "unclosed"
  assert_fails cap inspect -f '{{index .State.Pid 1}}' done
  assert_contains "$ERR" "cannot index"
  cap rm -f up >/dev/null
}

test_ps_columns_filters_and_formats() {
  engine_setup
  two_containers
  out=$(cap ps)
  assert_eq "$(head -n 1 <<<"$out" | tr -s ' ')" "CONTAINER ID IMAGE COMMAND CREATED STATUS PORTS NAMES" "docker's columns"
  assert_eq "$(wc -l <<<"$out")" 2 "only the running one"
  row=$(tail -n 1 <<<"$out")
  assert_contains "$row" '"sleep 60"'
  assert_match "$row" ' (Less than a second|[0-9]+ seconds?) ago ' "CREATED"
  assert_match "$row" ' Up (Less than a second|[0-9]+ seconds?) ' "STATUS"
  # Columns line up: NAMES starts at the same place in the header and the row.
  col=$(awk '{print index($0, "NAMES")}' <<<"$(head -n 1 <<<"$out")")
  assert_eq "${row:$((col - 1))}" up "the NAMES column"
  assert_match "$(cap ps -a | grep done)" 'Exited \(7\) (Less than a second|[0-9]+ seconds?) ago' "exited STATUS"
  assert_eq "$(cap ps -a --format '{{.Names}}')" "up
done" "newest first"
  assert_eq "$(cap ps -a --filter status=exited --format '{{.Names}}')" done "status="
  assert_eq "$(cap ps -a -f status=exited -f status=running --format '{{.Names}}' | sort | tr '\n' ' ')" "done up " "one key twice: either"
  assert_eq "$(cap ps -a --filter name=^do --format '{{.Names}}')" done "name= (a regexp)"
  assert_eq "$(cap ps -a --filter label=role=web --format '{{.Names}}')" up "label=K=V"
  assert_eq "$(cap ps -a --filter label=tier --format '{{.Names}}')" up "label=K"
  assert_eq "$(cap ps -a --filter exited=7 --format '{{.Names}}')" done "exited="
  assert_eq "$(cap ps -a --filter exited=0 --format '{{.Names}}')" "" "exited= another code"
  assert_eq "$(cap ps -a --filter ancestor=lab:web --format '{{.Names}}')" up "ancestor= by name"
  id=$(cap image inspect -f '{{.Id}}' lab:batch | cut -c8-19)
  assert_eq "$(cap ps -a --filter ancestor=$id --format '{{.Names}}')" done "ancestor= by id"
  full=$(cap ps -a -q --no-trunc --filter name=done)
  assert_eq "$(cap ps -a --filter id=${full:0:6} --format '{{.Names}}')" done "id="
  assert_eq "$(cap ps -a --filter status=exited --filter name=up -q)" "" "keys: all must match"
  assert_eq "$(cap ps -a --filter before=up --format '{{.Names}}')" done "before="
  assert_eq "$(cap ps -a --filter since=done --format '{{.Names}}')" up "since="
  cap run --name withvol -v psvol:/data busybox true
  assert_eq "$(cap ps -a --filter volume=psvol --format '{{.Names}} {{.Mounts}}')" "withvol psvol" "volume= and .Mounts"
  assert_eq "$(cap ps -a --filter volume=/data -q | wc -l)" 1 "volume=DESTINATION"
  assert_eq "$(cap ps -a --filter network=none --format '{{.Names}}' | sort | tr '\n' ' ')" "done up withvol " "network= and .Networks"
  cap rm -v withvol >/dev/null
  cap volume rm psvol >/dev/null
  # -q, -n, -l, --no-trunc, -s, table and json formats.
  assert_match "$(cap ps -q)" '^[0-9a-f]{12}$' "-q"
  assert_eq "$full" "$(cap inspect -f '{{.Id}}' done)" "--no-trunc ids"
  assert_eq "$(cap ps -n 1 --format '{{.Names}}')" up "-n 1"
  assert_eq "$(cap ps -n 2 -q | wc -l)" 2 "-n 2 counts every state"
  assert_eq "$(cap ps -l --format '{{.Names}}')" up "-l"
  assert_eq "$(cap ps -a --format 'table {{.Names}}\t{{.State}}' | tr -s ' ')" "NAMES STATE
up running
done exited" "table format"
  assert_eq "$(cap ps -a --filter name=done --format '{{.Labels}}')" role=batch ".Labels"
  assert_eq "$(cap ps -a --filter name=done --format json | jq -r .State)" exited "json"
  assert_match "$(cap ps -a -s --filter name=done)" '5B \(virtual [0-9.]+[kM]B\)' "-s: the layer's size"
  assert_fails cap ps --filter color=red
  assert_contains "$ERR" "invalid filter"
  assert_fails cap ps --format '{{.Nope}}'
  assert_contains "$ERR" "unknown field .Nope"
  cap rm -f up >/dev/null
}

test_container_prune_and_system_df() {
  engine_setup
  two_containers
  cap run --name also-done busybox true
  df=$(cap system df)
  assert_eq "$(awk '/^Containers/ {print $2, $3}' <<<"$df")" "3 1" "containers: total, active"
  assert_eq "$(awk '/^Images/ {print $2, $3}' <<<"$df")" "3 3" "images: total, active"
  # Without -f, a prompt; "n" keeps everything.
  echo n | cap container prune >/dev/null 2>&1
  assert_eq "$(cap ps -a -q | wc -l)" 3 "declined"
  out=$(cap container prune -f)
  assert_contains "$out" "Deleted Containers:"
  assert_contains "$out" "Total reclaimed space: 5B"
  assert_eq "$(cap ps -a --format '{{.Names}}')" up "the running one stays"
  # system prune -a: an image stays while a container uses it; unused
  # networks go.
  cap network create unused-net >/dev/null
  out=$(cap system prune -f -a)
  assert_contains "$out" "Deleted Networks:
unused-net"
  assert_contains "$out" "Deleted Images:"
  assert_eq "$(cap images --format '{{.Repository}}:{{.Tag}}')" lab:web "the used image kept"
  cap rm -f up >/dev/null
  cap run --name anon -v /anon lab:web true
  anon=$(cap volume ls -q)
  cap rm anon >/dev/null
  out=$(cap system prune -f -a --volumes)
  assert_contains "$out" "Deleted Volumes:
$anon"
  assert_contains "$out" "Deleted Images:"
  assert_eq "$(cap images -q | wc -l)" 0 "unused image removed"
  assert_engine_clean
}

# ps --filter publish= (the ports a container publishes) and expose= (those
# and its image's EXPOSE), docker's PORT[-PORT][/PROTO], tcp by default.
test_ps_filter_publish_and_expose() {
  engine_setup
  cap import --change 'CMD ["/bin/sh"]' --change 'EXPOSE 8080/udp' "$ENGINE_IMAGE_TAR" busybox:exp >/dev/null
  cap create --name pub -p 127.0.0.1::80 -p 127.0.0.1::53/udp busybox >/dev/null
  cap create --name exp busybox:exp >/dev/null
  cap create --name none busybox >/dev/null
  names() { cap ps -a "$@" --format '{{.Names}}' | sort | tr '\n' ' '; }
  assert_eq "$(names --filter publish=80)" "pub " "publish=80"
  assert_eq "$(names --filter publish=80/udp)" "" "publish=80/udp"
  assert_eq "$(names --filter publish=50-60/udp)" "pub " "publish=50-60/udp"
  assert_eq "$(names --filter publish=8080/udp)" "" "an exposed port is not published"
  assert_eq "$(names --filter expose=8080/udp)" "exp " "expose=8080/udp"
  assert_eq "$(names --filter expose=80)" "pub " "a published port is exposed"
  assert_eq "$(names --filter expose=80 --filter expose=8080/udp)" "exp pub " "two values"
  cap rm pub exp none >/dev/null
  assert_engine_clean
}

# system df -v: docker's three sections, one row per image, container and
# volume, with sizes, links and the container's status.
test_system_df_verbose() {
  engine_setup
  cap run --name dfc -v dfv:/data busybox sh -c 'head -c 3000 /dev/zero > /data/f; head -c 5000 /dev/zero > /big'
  out=$(cap system df -v)
  assert_contains "$out" "Images space usage:" "images section"
  assert_match "$(echo "$out" | grep -A1 '^REPOSITORY' | tail -1)" '^busybox +latest +[0-9a-f]{12} .* 1$' "busybox, used by 1 container"
  assert_match "$(echo "$out" | grep '^CONTAINER ID')" 'LOCAL VOLUMES +SIZE +CREATED +STATUS +NAMES$' "containers header"
  assert_match "$(echo "$out" | grep ' dfc$')" '"sh -c head -c 3000 …" +1 +5kB .* Exited \(0\) .* dfc$' "dfc's row"
  assert_match "$(echo "$out" | grep '^dfv ')" '^dfv +1 +3kB$' "dfv's row"
  assert_contains "$(cap system df)" "Local Volumes" "df without -v"
  cap rm -v dfc >/dev/null
  cap volume rm dfv >/dev/null
  assert_engine_clean
}
