#!/usr/bin/env bash
# Backup and restore of the PostgreSQL database (called by `make backup` / `make restore`).
#
#   scripts/db_backup.sh backup  DATABASE_URL FILE        pg_dump, custom format (-Fc)
#   scripts/db_backup.sh restore FILE TARGET_DATABASE_URL  pg_restore into a NEW database
#
# A restore never writes into an existing database: it creates the target (refusing if it
# exists), restores in one transaction and stops at the first error, so a failed restore leaves
# nothing half-written. Point the application at the restored database only after checking it.
set -euo pipefail

die() { echo "错误：$*" >&2; exit 2; }

db_name() {  # the database name of a postgres:// URL (no query string)
  local url="${1%%\?*}"
  echo "${url##*/}"
}

maintenance_url() {  # the same server's "postgres" database, to create the target from
  local url="${1%%\?*}"
  echo "${url%/*}/postgres"
}

case "${1:-}" in
  backup)
    url="${2:-}"; file="${3:-}"
    [[ "$url" == postgres://* || "$url" == postgresql://* ]] || die "DATABASE_URL 必须是 postgres:// 地址"
    [[ -n "$file" ]] || die "请指定备份文件 BACKUP_FILE"
    mkdir -p "$(dirname "$file")"
    pg_dump --format=custom --no-owner --no-privileges --dbname="$url" --file="$file.partial"
    mv "$file.partial" "$file"  # a file under the final name is always a complete dump
    echo "已备份到 $file（$(stat -c %s "$file") 字节）"
    ;;
  restore)
    file="${2:-}"; url="${3:-}"
    [[ -f "$file" ]] || die "备份文件不存在：$file"
    [[ "$url" == postgres://* || "$url" == postgresql://* ]] || die "RESTORE_DATABASE_URL 必须是 postgres:// 地址"
    name="$(db_name "$url")"
    [[ "$name" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || die "目标数据库名不合法：$name"
    maint="$(maintenance_url "$url")"
    exists="$(psql "$maint" -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'")"
    [[ -z "$exists" ]] || die "目标数据库 $name 已存在；恢复只写入新建的数据库"
    psql "$maint" -q -c "CREATE DATABASE \"$name\""
    if ! pg_restore --no-owner --no-privileges --exit-on-error --single-transaction \
        --dbname="$url" "$file"; then
      psql "$maint" -q -c "DROP DATABASE IF EXISTS \"$name\""
      die "恢复失败，已删除未完成的数据库 $name"
    fi
    echo "已恢复到新数据库 $name"
    ;;
  *)
    die "用法：$0 backup DATABASE_URL FILE | restore FILE TARGET_DATABASE_URL"
    ;;
esac
