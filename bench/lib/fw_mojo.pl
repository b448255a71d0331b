#!/usr/bin/perl
# Mojolicious on a chosen reactor: reactor=LinuxEvent (this project's
# Mojo::Reactor::LinuxEvent) or reactor=EV (Mojo::Reactor::EV).
#   timer-chain, timer-many, pipe-pingpong: BenchHarness's shared workloads,
#       through Mojo::IOLoop timers and the reactor's io();
#   ioloop-echo: 64-byte messages bounced between a Mojo::IOLoop TCP server
#       and client on loopback, in one process;
#   http: a hello-world Mojolicious app in a forked Mojo::Server::Daemon on
#       loopback, loaded by wrk (keep-alive HTTP/1.1, one thread, 16
#       connections) for n seconds (so the request count is bounded too);
#       reports requests per second and the server's CPU per request. (ab -k speaks HTTP/1.0 keep-alive,
#       which Mojolicious answers without "Connection: keep-alive": ab then
#       waits for each connection to time out, so it is not used.)
use strict;
use warnings;
use FindBin ();
use lib $FindBin::Bin;
use BenchHarness;
use POSIX ();
use IO::Socket::INET ();

my %arg = map { /^(\w+)=(.*)$/ ? ($1, $2) : () } @ARGV;
my $reactor_class = 'Mojo::Reactor::' . ($arg{reactor} || 'LinuxEvent');
$ENV{MOJO_REACTOR} = $reactor_class;

my %spec = (
    name    => "mojo-$reactor_class",
    modules => ['Mojolicious', 'Mojo::IOLoop', $reactor_class],
    # Without making the IOLoop singleton: the http workload forks first.
    check   => sub {
        my ($opt) = @_;
        return undef unless ($ARGV[0] // '') eq 'http';
        return 'wrk' unless which('wrk');
        return undef;
    },
    info    => sub { require Mojolicious; 'Mojolicious-' . Mojolicious->VERSION . " reactor=$reactor_class" },
    loop    => sub { require Mojolicious; mojo_api() },
);
run_impl(%spec, workloads => {
    %{ BenchHarness::loop_workloads(\%spec) },
    'ioloop-echo' => \&ioloop_echo,
    'http'        => \&http,
});

sub ioloop_echo {
    my ($n) = @_;
    require Mojolicious;
    my $msg = 'm' x 64;
    my $count = 0;
    my $id = Mojo::IOLoop->server({address => '127.0.0.1'} => sub {
        my (undef, $stream) = @_;
        my $buf = '';
        $stream->on(read => sub {
            $buf .= $_[1];
            $_[0]->write(substr $buf, 0, 64, '') while length $buf >= 64;
        });
    });
    my $port = Mojo::IOLoop->acceptor($id)->port;
    my ($m, $client);
    Mojo::IOLoop->client({address => '127.0.0.1', port => $port} => sub {
        my (undef, $err, $stream) = @_;
        die "connect: $err\n" if $err;
        my $buf = '';
        $stream->on(read => sub {
            $buf .= $_[1];
            while (length $buf >= 64) {
                substr $buf, 0, 64, '';
                if (++$count < $n) { $_[0]->write($msg) } else { Mojo::IOLoop->stop }
            }
        });
        $m = meter();
        $stream->write($msg);
    });
    Mojo::IOLoop->start;
    return (ops => $count, $m->());
}

sub http {
    my ($n) = @_;
    pipe(my $r, my $w) or die "pipe: $!\n";
    my $pid = fork // die "fork: $!\n";
    if (!$pid) {
        close $r;
        require Mojolicious;
        require Mojo::Server::Daemon;
        my $app = Mojolicious->new;
        $app->log->level('fatal');
        $app->routes->get('/' => sub { $_[0]->render(text => 'Hello, World!') });
        my $daemon = Mojo::Server::Daemon->new(app => $app, listen => ['http://127.0.0.1'],
            silent => 1, max_requests => 1_000_000_000);
        $daemon->start;
        my $port = Mojo::IOLoop->acceptor($daemon->acceptors->[0])->port;
        syswrite($w, "$port\n");
        close $w;
        Mojo::IOLoop->start;
        POSIX::_exit(0);
    }
    close $w;
    my $port = <$r>;
    die "the server did not start\n" unless $port && $port =~ /^(\d+)$/;
    my $url = "http://127.0.0.1:$1/";
    system("wrk -t1 -c4 -d1s $url >/dev/null 2>&1");              # warm-up
    my $cpu0 = proc_cpu($pid);
    my $m = meter();
    my $out = `wrk -t1 -c16 -d${n}s $url 2>&1`;
    my %t = $m->();
    my $srv_cpu = proc_cpu($pid) - $cpu0;
    kill 'TERM', $pid;
    waitpid($pid, 0);
    my ($done) = $out =~ /(\d+) requests in/;
    my ($rps)  = $out =~ /^Requests\/sec:\s+([\d.]+)/m;
    my $bad = ($out =~ /Non-2xx or 3xx responses: (\d+)/)[0] || 0;
    die "wrk gave no result: $out\n" unless $done && $rps;
    die "$bad of $done responses were not 200\n" if $bad;
    return (requests => $done, rps => $rps, srv_cpu_us => $srv_cpu / $done * 1e6,
            wall => $t{wall}, cpu => $t{cpu});
}

sub which {
    my ($prog) = @_;
    return (grep { -x "$_/$prog" } split /:/, $ENV{PATH} || '')[0];
}

# User + system CPU seconds of a process, from /proc/<pid>/stat.
sub proc_cpu {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/stat" or die "/proc/$pid/stat: $!\n";
    my $stat = <$fh>;
    $stat =~ s/^.*\)\s+//;                   # after "pid (comm) "
    my @f = split ' ', $stat;
    return ($f[11] + $f[12]) / POSIX::sysconf(POSIX::_SC_CLK_TCK());
}
