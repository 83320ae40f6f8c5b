#!/usr/bin/env bash
# A real WordPress from Debian's packages on 127.0.0.1, for the comments integration test.
#
#   .ci/wordpress.sh start DIR   install the packages if missing, start MariaDB (unix socket
#                                only) and Apache + mod_php on a free loopback port, install a
#                                site with two posts (one closed to comments) and an Application
#                                Password; print `export NEWSROOM_TEST_WORDPRESS_...` lines
#   .ci/wordpress.sh stop DIR    stop both servers by their PID files and remove the site's config
#
# Needs root (as CI is). No systemd: both servers are started directly.
set -euo pipefail

action=${1:?usage: wordpress.sh start|stop DIR}
root=${2:?usage: wordpress.sh start|stop DIR}
log() { printf '==> %s\n' "$*" >&2; }

stop() {
  if [ -f "$root/apache.pid" ]; then kill "$(cat "$root/apache.pid")" 2>/dev/null || true; fi
  if [ -f "$root/run/mysql.pid" ]; then kill "$(cat "$root/run/mysql.pid")" 2>/dev/null || true; fi
  if [ -f "$root/config-name" ]; then
    rm -f "/etc/wordpress/config-$(cat "$root/config-name").php" "$root/config-name"
  fi
}

if [ "$action" = stop ]; then
  stop
  exit 0
fi

if [ ! -f /usr/share/wordpress/wp-settings.php ] || ! command -v mariadbd >/dev/null \
  || ! command -v apache2 >/dev/null || ! compgen -G "/usr/lib/apache2/modules/libphp*.so" >/dev/null; then
  log "Installing WordPress, MariaDB, Apache and PHP from Debian packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends wordpress mariadb-server mariadb-client \
    apache2 libapache2-mod-php php-cli php-mysql curl >/dev/null
fi

mkdir -p "$root"
chmod 755 "$root"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
socket="$root/run/mysql.sock"

# --- MariaDB on a unix socket -----------------------------------------------------------------
mkdir -p "$root/db" "$root/run"
chown mysql:mysql "$root/db" "$root/run"
chmod 755 "$root/run"
mariadb-install-db --no-defaults --datadir="$root/db" --user=mysql --skip-test-db \
  --auth-root-authentication-method=socket >"$root/mariadb-install.log" 2>&1
mariadbd --no-defaults --datadir="$root/db" --socket="$socket" --pid-file="$root/run/mysql.pid" \
  --skip-networking --user=mysql --log-error="$root/run/mariadb.log" >/dev/null 2>&1 &
for _ in $(seq 1 100); do
  if mariadb-admin --no-defaults --socket="$socket" -u root ping >/dev/null 2>&1; then break; fi
  sleep 0.2
done
mariadb --no-defaults --socket="$socket" -u root <<'SQL'
CREATE DATABASE wordpress;
CREATE USER 'wordpress'@'localhost' IDENTIFIED BY 'wordpress';
GRANT ALL PRIVILEGES ON wordpress.* TO 'wordpress'@'localhost';
SQL

# --- The site: a Debian config of its own, then an install from PHP ---------------------------
# Debian's wp-config.php loads /etc/wordpress/config-$WORDPRESS_CONFIG.php when Apache sets
# WORDPRESS_CONFIG (else config-<host>.php): a name per instance lets several sites run at once.
config_name="newsroom-ci-$(python3 -c 'import secrets; print(secrets.token_hex(6))')"
echo "$config_name" >"$root/config-name"
site_config="/etc/wordpress/config-$config_name.php"
cat >"$site_config" <<PHP
<?php
define('DB_NAME', 'wordpress');
define('DB_USER', 'wordpress');
define('DB_PASSWORD', 'wordpress');
define('DB_HOST', 'localhost:$socket');
define('WP_CONTENT_DIR', '/var/lib/wordpress/wp-content');
define('WP_ENVIRONMENT_TYPE', 'local'); // Application Passwords over plain http
define('WP_HOME', '$url');
define('WP_SITEURL', '$url');
PHP
chmod 644 "$site_config"

WORDPRESS_CONFIG="$config_name" php -d display_errors=stderr >"$root/site.json" <<'PHP'
<?php
$_SERVER['HTTP_HOST'] = '127.0.0.1';
$_SERVER['WORDPRESS_CONFIG'] = getenv('WORDPRESS_CONFIG');
$_SERVER['REQUEST_URI'] = '/';
define('WP_INSTALLING', true);
require '/usr/share/wordpress/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
$installed = wp_install('Newsroom CI', 'newsroom', 'newsroom@example.org', true, '', 'ci-password-not-secret');
update_option('permalink_structure', '/%postname%/');
update_option('comment_moderation', 0);
update_option('comment_previously_approved', 0);
$user = (int) $installed['user_id'];
$open = wp_insert_post(['post_title' => 'Harbour bridge reopens', 'post_name' => 'harbour-bridge',
  'post_status' => 'publish', 'post_content' => '<p>Drop your thoughts in the comments below.</p>',
  'comment_status' => 'open', 'post_author' => $user]);
$closed = wp_insert_post(['post_title' => 'Closed story', 'post_name' => 'closed-story',
  'post_status' => 'publish', 'post_content' => '<p>No comments.</p>',
  'comment_status' => 'closed', 'post_author' => $user]);
[$password] = WP_Application_Passwords::create_new_application_password($user, ['name' => 'newsroom-ci']);
echo json_encode(['user' => 'newsroom', 'user_id' => $user, 'password' => $password,
  'post' => $open, 'closed' => $closed]);
PHP

# --- Apache with mod_php and WordPress's rewrite rules ------------------------------------------
php_module=$(ls /usr/lib/apache2/modules/libphp*.so | head -n 1)
cat >"$root/httpd.conf" <<CONF
ServerRoot /etc/apache2
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile $root/apache.pid
Mutex file:$root default
ErrorLog $root/apache-error.log
User www-data
Group www-data
LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule dir_module /usr/lib/apache2/modules/mod_dir.so
LoadModule mime_module /usr/lib/apache2/modules/mod_mime.so
LoadModule rewrite_module /usr/lib/apache2/modules/mod_rewrite.so
LoadModule env_module /usr/lib/apache2/modules/mod_env.so
LoadModule php_module $php_module
TypesConfig /etc/mime.types
SetEnv WORDPRESS_CONFIG $config_name
DocumentRoot /usr/share/wordpress
DirectoryIndex index.php
<FilesMatch "\.php$">
  SetHandler application/x-httpd-php
</FilesMatch>
<Directory /usr/share/wordpress>
  Options FollowSymLinks
  AllowOverride None
  Require all granted
  RewriteEngine On
  RewriteBase /
  RewriteRule ^index\.php$ - [L]
  RewriteCond %{REQUEST_FILENAME} !-f
  RewriteCond %{REQUEST_FILENAME} !-d
  RewriteRule . /index.php [L]
</Directory>
CONF
apache2 -f "$root/httpd.conf" -k start
for _ in $(seq 1 100); do
  if curl -fsS -o /dev/null "$url/wp-json/"; then break; fi
  sleep 0.2
done
curl -fsS -o /dev/null "$url/wp-json/" || { log "WordPress did not answer at $url"; stop; exit 1; }
log "WordPress $(php -r 'include "/usr/share/wordpress/wp-includes/version.php"; echo $wp_version;') listening on $url"

python3 - "$root/site.json" "$url" <<'PY'
import json, shlex, sys
site = json.load(open(sys.argv[1]))
values = {
    "NEWSROOM_TEST_WORDPRESS_URL": sys.argv[2],
    "NEWSROOM_TEST_WORDPRESS_USER": site["user"],
    "NEWSROOM_TEST_WORDPRESS_APP_PASSWORD": site["password"],
    "NEWSROOM_TEST_WORDPRESS_USER_ID": site["user_id"],
    "NEWSROOM_TEST_WORDPRESS_POST_ID": site["post"],
    "NEWSROOM_TEST_WORDPRESS_CLOSED_POST_ID": site["closed"],
}
for name, value in values.items():
    print(f"export {name}={shlex.quote(str(value))}")
PY
