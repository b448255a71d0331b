# A Mojolicious::Lite application served by Mojo::Server::Daemon and queried
# by Mojo::UserAgent, all on Mojo::Reactor::LinuxEvent, on loopback.
use strict;
use warnings;
use Test::More;

BEGIN {
    $ENV{MOJO_REACTOR} = 'Mojo::Reactor::LinuxEvent';
    $ENV{MOJO_LOG_LEVEL} = 'fatal';
    eval { require Mojolicious; require Mojolicious::Lite; 1 }
        or plan skip_all => 'Mojolicious is not installed';
}
use Mojo::IOLoop;
use Mojo::Server::Daemon;
use Mojo::UserAgent;
use Time::HiRes qw(time);

my $app = Mojolicious->new;
$app->log->level('fatal');
my $r = $app->routes;
$r->get('/hello' => sub { $_[0]->render(text => 'Hello, Linux::Event!') });
$r->post('/echo' => sub { my $c = shift; $c->render(data => $c->req->body) });
$r->get('/later' => sub {
    my $c = shift;
    Mojo::IOLoop->timer(0.1 => sub { $c->render(json => {waited => 0.1}) });
});
$r->get('/never' => sub { shift->render_later });           # never answers
$r->get('/boom' => sub { die "route died\n" });
$r->websocket('/echo' => sub {
    my $c = shift;
    $c->on(message => sub { my ($c, $msg) = @_; $c->send("echo: $msg") });
});

is(ref Mojo::IOLoop->singleton->reactor, 'Mojo::Reactor::LinuxEvent', 'the IOLoop runs on it');
my $daemon = Mojo::Server::Daemon->new(app => $app, listen => ['http://127.0.0.1'], silent => 1);
$daemon->start;
my $port = Mojo::IOLoop->acceptor($daemon->acceptors->[0])->port;
my $base = "http://127.0.0.1:$port";
my $ua = Mojo::UserAgent->new(ioloop => Mojo::IOLoop->singleton);

# Blocking requests run the (singleton) loop until each one is done.
my $tx = $ua->get("$base/hello");
is($tx->res->code, 200, 'GET /hello: 200');
is($tx->res->body, 'Hello, Linux::Event!', 'GET /hello: the body');

my $body = 'x' x 500_000;
$tx = $ua->post("$base/echo" => {} => $body);
is($tx->res->code, 200, 'POST 500 kB: 200');
ok($tx->res->body eq $body, 'POST 500 kB: echoed unchanged');

$tx = $ua->get("$base/later");
is_deeply($tx->res->json, {waited => 0.1}, 'a response rendered from a reactor timer');

# Non-blocking: 20 concurrent keep-alive requests.
my ($done, $answered) = (0, 0);
for my $i (1 .. 20) {
    $ua->get("$base/hello" => sub {
        my (undef, $tx) = @_;
        $done++ if ($tx->res->body // '') eq 'Hello, Linux::Event!';
        Mojo::IOLoop->stop if ++$answered == 20;
    });
}
my $guard = Mojo::IOLoop->timer(20 => sub { Mojo::IOLoop->stop });
Mojo::IOLoop->start;
Mojo::IOLoop->remove($guard);
is($done, 20, '20 concurrent requests answered');

# WebSocket echo.
my @got;
$ua->websocket("ws://127.0.0.1:$port/echo" => sub {
    my (undef, $tx) = @_;
    return Mojo::IOLoop->stop unless $tx->is_websocket;
    $tx->on(message => sub {
        my ($tx, $msg) = @_;
        push @got, $msg;
        return $tx->send("message " . (@got + 1)) if @got < 3;
        $tx->finish;
    });
    $tx->on(finish => sub { Mojo::IOLoop->stop });
    $tx->send('message 1');
});
$guard = Mojo::IOLoop->timer(20 => sub { Mojo::IOLoop->stop });
Mojo::IOLoop->start;
Mojo::IOLoop->remove($guard);
is_deeply(\@got, ['echo: message 1', 'echo: message 2', 'echo: message 3'], 'WebSocket echo');

# A request the server never answers: the client's inactivity timeout ends it.
my $t0 = time;
$tx = $ua->inactivity_timeout(0.3)->get("$base/never");
my $took = time - $t0;
like($tx->error->{message} // '', qr/Inactivity timeout/, 'an unanswered request times out');
ok($took >= 0.25 && $took < 10, "after the inactivity timeout ($took s)");

# The same with a request timeout.
$tx = $ua->inactivity_timeout(10)->request_timeout(0.3)->get("$base/never");
like($tx->error->{message} // '', qr/Request timeout/, 'a request timeout ends it too');
$ua->request_timeout(0);

# A route that dies gives a 500, and the server keeps serving.
$tx = $ua->get("$base/boom");
is($tx->res->code, 500, 'a dying route: 500');
$tx = $ua->get("$base/hello");
is($tx->res->body, 'Hello, Linux::Event!', 'the server still answers');

# A reactor callback that dies reaches the error event; the IOLoop goes on.
my $err;
my $reactor = Mojo::IOLoop->singleton->reactor;
my $cb = $reactor->on(error => sub { $err = $_[1] });
my @warnings;
{
    local $SIG{__WARN__} = sub { push @warnings, @_ };
    Mojo::IOLoop->timer(0 => sub { die "loop callback died\n" });
    Mojo::IOLoop->timer(0.05 => sub { Mojo::IOLoop->stop });
    Mojo::IOLoop->start;
}
$reactor->unsubscribe(error => $cb);
is($err, "Timer failed: loop callback died\n", 'a dying loop callback reaches the error event');
like("@warnings", qr/^Mojo::Reactor::LinuxEvent: Timer failed: loop callback died/,
    "and Mojo::IOLoop's own error subscriber warns, as with its reactors");
$tx = $ua->get("$base/hello");
is($tx->res->code, 200, 'and requests still work');

done_testing;
