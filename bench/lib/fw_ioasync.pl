#!/usr/bin/perl
# IO::Async on a chosen loop class: class=LinuxEvent (this project's
# IO::Async::Loop::LinuxEvent) or class=Epoll (IO::Async::Loop::Epoll).
# Timers and the socketpair ping-pong through the loop's own watch_time /
# watch_io (BenchHarness's shared workloads), plus stream-echo: 64-byte
# messages bounced over a socketpair between two IO::Async::Stream objects.
use strict;
use warnings;
use FindBin ();
use lib $FindBin::Bin;
use BenchHarness;

my %arg = map { /^(\w+)=(.*)$/ ? ($1, $2) : () } @ARGV;
my $class = 'IO::Async::Loop::' . ($arg{class} || 'LinuxEvent');

my %spec = (
    name    => "ioasync-$class",
    modules => ['IO::Async::Loop', 'IO::Async::Stream', $class],
    info    => sub { "$class-" . $class->VERSION . ' IO::Async-' . IO::Async::Loop->VERSION },
    loop    => sub { ioasync_api(new_loop()) },
);
run_impl(%spec, workloads => {
    %{ BenchHarness::loop_workloads(\%spec) },
    'stream-echo' => \&stream_echo,
});

sub new_loop {
    (my $file = "$class.pm") =~ s{::}{/}g;
    require $file;
    return $class->new;
}

sub stream_echo {
    my ($n) = @_;
    require IO::Async::Stream;
    my $loop = new_loop();
    my ($x, $y) = socket_pair();
    my $msg = 'm' x 64;
    my $count = 0;
    my $echo = IO::Async::Stream->new(handle => $y, on_read => sub {
        my ($s, $buf) = @_;
        $s->write(substr $$buf, 0, 64, '') while length $$buf >= 64;
        return 0;
    });
    my $client = IO::Async::Stream->new(handle => $x, on_read => sub {
        my ($s, $buf) = @_;
        while (length $$buf >= 64) {
            substr $$buf, 0, 64, '';
            if (++$count < $n) { $s->write($msg) } else { $loop->stop }
        }
        return 0;
    });
    $loop->add($_) for $echo, $client;
    my $m = meter();
    $client->write($msg);
    $loop->run;
    return (ops => $count, $m->());
}
