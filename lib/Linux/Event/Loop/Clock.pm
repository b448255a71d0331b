package Linux::Event::Loop::Clock;
use v5.36;

our $VERSION = '0.009';

use Carp ();
use Scalar::Util ();
use Linux::Event ();

our @CARP_NOT = qw(Linux::Event::Loop);

# _monotonic_ns is an XSUB (src/perl/clock_xs.rs): the engine's own clock.

sub new {
    my ($class, @args) = @_;
    Carp::croak('Linux::Event::Loop::Clock->new: odd number of arguments (expected name => value pairs)')
        if @args % 2;
    my %opt  = @args;
    my $kind = delete $opt{clock} // 'monotonic';
    Carp::croak("Linux::Event::Loop::Clock->new: clock must be 'monotonic', not '$kind'")
        if ref $kind || $kind ne 'monotonic';
    Carp::croak('Linux::Event::Loop::Clock->new: unknown args: ' . join(', ', sort keys %opt)) if %opt;
    my $self = bless { now_ns => 0, generation => 0 }, ref($class) || $class;
    $self->tick;
    return $self;
}

# Croaks unless called as a method of a clock with exactly $n arguments.
sub _args ($n, $usage, @args) {
    Carp::croak("Usage: \$clock->$usage")
        if @args != $n + 1
        || !(Scalar::Util::blessed($args[0]) && $args[0]->isa(__PACKAGE__));
    return @args;
}

# A number argument of $method: defined, not a reference, numeric, finite.
sub _number ($method, $what, $v) {
    Carp::croak("$method: $what must be a number, not "
            . (!defined $v ? 'undef' : ref $v ? 'a reference' : "'$v'"))
        unless defined $v && !ref $v && Scalar::Util::looks_like_number($v) && $v == $v
        && abs($v) != 9**9**9;
    return $v;
}

sub tick {
    my ($self) = _args(0, 'tick', @_);
    $self->{generation}++;
    return $self->{now_ns} = _monotonic_ns();
}

sub generation { my ($self) = _args(0, 'generation', @_); return $self->{generation} }
sub now_ns     { my ($self) = _args(0, 'now_ns', @_);     return $self->{now_ns} }
sub now_s      { my ($self) = _args(0, 'now_s', @_);      return $self->{now_ns} / 1e9 }

sub monotonic_ns {
    _args(0, 'monotonic_ns', @_);
    return _monotonic_ns();
}

# The deadline helpers: cached now plus a delay, in integer nanoseconds.
my %UNIT_NS = (deadline_after => 1e9, deadline_after_ms => 1e6, deadline_after_us => 1e3,
    deadline_in_ns => 1);
my %UNIT_NAME = (deadline_after => 'seconds', deadline_after_ms => 'milliseconds',
    deadline_after_us => 'microseconds', deadline_in_ns => 'nanoseconds');
for my $method (sort keys %UNIT_NS) {
    my ($ns, $unit) = ($UNIT_NS{$method}, $UNIT_NAME{$method});
    no strict 'refs';
    *{$method} = sub {
        my ($self, $delay) = _args(1, "$method(\$$unit)", @_);
        return $self->{now_ns} + int(_number($method, $unit, $delay) * $ns);
    };
}

sub expired_ns {
    my ($self, $deadline) = _args(1, 'expired_ns($deadline_ns)', @_);
    return _number('expired_ns', 'deadline_ns', $deadline) <= $self->{now_ns} ? 1 : 0;
}

sub remaining_ns {
    my ($self, $deadline) = _args(1, 'remaining_ns($deadline_ns)', @_);
    my $left = _number('remaining_ns', 'deadline_ns', $deadline) - $self->{now_ns};
    return $left > 0 ? $left : 0;
}

1;

__END__

=head1 NAME

Linux::Event::Loop::Clock - the loop's cached monotonic clock, with deadline math

=head1 SYNOPSIS

  use v5.36;
  use Linux::Event;

  my $loop  = Linux::Event->new;
  my $clock = $loop->clock;

  # An absolute deadline for $loop->at, 80 ms from now:
  $clock->tick;
  $loop->at($clock->now_s + 0.08, sub ($loop) { say "at fired"; $loop->stop });

  # Deadline math in integer nanoseconds, against the time of the last tick:
  my $deadline = $clock->deadline_after_ms(50);
  $clock->tick;
  say 'due' if $clock->expired_ns($deadline);
  say $clock->remaining_ns($deadline), ' ns to go';

  $loop->run;

=head1 DESCRIPTION

C<< $loop->clock >> returns this object: the clock of
C<Linux::Event::Clock> 0.011 (the one the 0.007 loop used), with the same
methods, implemented by the loop's engine.  It reads C<CLOCK_MONOTONIC>,
the clock of the loop's timers, so C<< $clock->now_s >> is on the timebase
of L<Linux::Event::Loop/at> and C<now_ns> on that timebase in nanoseconds.

The clock keeps a cached time: C<tick> reads the kernel clock and caches
it; C<now_ns>, C<now_s> and the deadline helpers use the cached time
without a system call, so many deadline comparisons cost no system call.
C<< $loop->clock >> ticks the clock each time it is called, so
C<< $loop->clock->now_s >> is current; the loop does not tick it otherwise
(0.007's loop ticked it once per C<run_once> and C<after>).  Code that
keeps the clock in a variable calls C<tick> before reading the time.

Each loop has one clock, made on the first C<< $loop->clock >>.  The object
is plain Perl data: it works in every thread and in forked children.

Every method croaks when given the wrong number of arguments (a C<Usage:>
message), and the methods that take a number croak unless it is a finite
number.

=head1 CONSTRUCTOR

=head2 new

  my $clock = Linux::Event::Loop::Clock->new(clock => 'monotonic');

A clock of its own, not the loop's (for code that made a
C<Linux::Event::Clock>).  The only option is C<clock>, and its only value is
C<'monotonic'> (the default).  The new clock has been ticked once.

=head1 METHODS

=head2 tick

  my $now_ns = $clock->tick;

Reads C<CLOCK_MONOTONIC>, caches it, adds one to C<generation> and returns
the time in nanoseconds (an integer).

=head2 generation

How many times the clock has been ticked (the constructor ticks once).

=head2 now_ns, now_s

The cached time of the last C<tick>, in integer nanoseconds, or in seconds
(a floating-point number, as L<Linux::Event::Loop/at> takes).

=head2 monotonic_ns

The current time in nanoseconds, read now, without touching the cache.

=head2 deadline_after, deadline_after_ms, deadline_after_us, deadline_in_ns

  my $deadline_ns = $clock->deadline_after(1.5);      # seconds
  my $deadline_ns = $clock->deadline_after_ms(250);
  my $deadline_ns = $clock->deadline_after_us(100);
  my $deadline_ns = $clock->deadline_in_ns(1_000);

An absolute deadline in integer nanoseconds: the cached time plus a delay
in seconds, milliseconds, microseconds or nanoseconds (fractions allowed,
truncated to whole nanoseconds; negative delays give past deadlines).  To
give such a deadline to C<at>, divide by 1e9.

=head2 expired_ns

  if ($clock->expired_ns($deadline_ns)) { ... }

1 if the deadline is at or before the cached time, else 0.

=head2 remaining_ns

  my $left_ns = $clock->remaining_ns($deadline_ns);

Nanoseconds from the cached time to the deadline, 0 if it has passed.

=head1 SEE ALSO

L<Linux::Event::Loop>, L<Linux::Event>, clock_gettime(2)

=head1 AUTHOR

The Linux::Event developers.  The API is the one of Linux::Event::Clock
0.011, by Joshua S. Day.

=head1 LICENSE

Same terms as Perl itself.

=head1 VERSION

This document describes Linux::Event::Loop::Clock version 0.009.

=cut
