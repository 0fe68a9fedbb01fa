/*
 * Charts of the progress dashboard, drawn with ECharts (Chinese locale) from the page's data
 * island: <script type="application/json" id="dashboard-data"> rendered by Django's json_script.
 * Each chart container names its entry: <div class="chart" data-chart="departments">.
 * Every chart repeats a table that the page shows beside it, so nothing here is needed to read
 * the figures; a missing library or island leaves the tables alone.
 *
 * Also: the month filter submits on change, and a bulletin's print button prints.
 */
(function () {
  'use strict';

  var PACE_COLORS = { ahead: '#198754', on_track: '#0d6efd', behind: '#dc3545' };
  var SERIES_COLORS = ['#0d6efd', '#198754', '#fd7e14', '#6f42c1', '#20c997', '#dc3545'];
  var EMPTY = '—';

  function withUnit(value, unit) {
    if (value === null || value === undefined) {
      return EMPTY;
    }
    // Percentages carry one decimal place, as in the tables (73.0, not 73).
    return (unit === '%' ? Number(value).toFixed(1) : value) + (unit || '');
  }

  function barOption(spec) {
    var series = spec.series[0];
    var names = spec.categories;
    var option = {
      color: SERIES_COLORS,
      tooltip: {
        trigger: 'axis',
        axisPointer: { type: 'shadow' },
        valueFormatter: function (value) { return withUnit(value, spec.unit); }
      },
      grid: { left: 8, right: 56, top: 28, bottom: 8, containLabel: true },
      xAxis: { type: 'value', axisLabel: { formatter: '{value}' + spec.unit } },
      yAxis: { type: 'category', data: names, inverse: true, axisLabel: { width: 140, overflow: 'truncate' } },
      series: [{
        name: series.name,
        type: 'bar',
        data: series.data.map(function (item) {
          return {
            value: item.value,
            itemStyle: { color: PACE_COLORS[item.pace] || SERIES_COLORS[0] }
          };
        }),
        label: {
          show: true,
          position: 'right',
          formatter: function (p) { return withUnit(p.value, spec.unit); }
        },
        markLine: spec.expected === null || spec.expected === undefined ? undefined : {
          symbol: 'none',
          lineStyle: { type: 'dashed', color: '#6c757d' },
          // The category axis is inverted, so the line's start is at the top of the grid.
          label: { formatter: spec.expectedName + ' ' + withUnit(spec.expected, spec.unit), position: 'start' },
          data: [{ xAxis: spec.expected }]
        }
      }]
    };
    return option;
  }

  function groupedOption(spec) {
    return {
      color: SERIES_COLORS,
      tooltip: {
        trigger: 'axis',
        axisPointer: { type: 'shadow' },
        valueFormatter: function (value) { return withUnit(value, spec.unit); }
      },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: spec.categories, axisLabel: { interval: 0, rotate: spec.categories.length > 6 ? 30 : 0 } },
      yAxis: { type: 'value', axisLabel: { formatter: '{value}' + spec.unit } },
      series: spec.series.map(function (s) {
        return { name: s.name, type: 'bar', data: s.data };
      })
    };
  }

  function lineOption(spec) {
    return {
      color: ['#6c757d', '#0d6efd'],
      tooltip: {
        trigger: 'axis',
        valueFormatter: function (value) { return withUnit(value, spec.unit); }
      },
      legend: { top: 0 },
      grid: { left: 8, right: 32, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: spec.categories, boundaryGap: false },
      yAxis: { type: 'value', min: 0, axisLabel: { formatter: '{value}' + spec.unit } },
      series: spec.series.map(function (s, index) {
        return {
          name: s.name,
          type: 'line',
          data: s.data,
          connectNulls: false,
          symbolSize: 6,
          lineStyle: index === 0 ? { type: 'dashed' } : { width: 3 }
        };
      })
    };
  }

  function gaugeOption(gauge) {
    var known = gauge.value !== null && gauge.value !== undefined;
    return {
      series: [{
        type: 'gauge',
        min: 0,
        max: 100,
        radius: '95%',
        center: ['50%', '60%'],
        startAngle: 200,
        endAngle: -20,
        progress: { show: known, width: 12 },
        axisLine: { lineStyle: { width: 12 } },
        axisTick: { show: false },
        splitLine: { length: 8, lineStyle: { width: 1 } },
        axisLabel: { distance: 16, fontSize: 10 },
        pointer: { show: known },
        title: { show: false },
        detail: {
          valueAnimation: true,
          offsetCenter: [0, '45%'],
          fontSize: 20,
          formatter: function () { return withUnit(known ? gauge.value : null, '%'); }
        },
        data: [{ value: known ? Math.min(gauge.value, 100) : 0, name: gauge.name }]
      }]
    };
  }

  function optionFor(spec, element) {
    switch (spec.type) {
      case 'gauge':
        return gaugeOption(spec.gauges[Number(element.dataset.index || 0)]);
      case 'bar':
        return barOption(spec);
      case 'grouped':
        return groupedOption(spec);
      case 'line':
        return lineOption(spec);
      default:
        return null;
    }
  }

  function drawCharts() {
    var island = document.getElementById('dashboard-data');
    if (!island || typeof window.echarts === 'undefined') {
      return;
    }
    var data = JSON.parse(island.textContent);
    var charts = [];
    document.querySelectorAll('[data-chart]').forEach(function (element) {
      var spec = data[element.dataset.chart];
      if (!spec) {
        return;
      }
      var option = optionFor(spec, element);
      if (!option) {
        return;
      }
      var chart = window.echarts.init(element, null, { locale: 'ZH' });
      chart.setOption(option);
      if (spec.links && spec.links.length) {
        chart.on('click', function (params) {
          var url = spec.links[params.dataIndex];
          if (url) {
            window.location.assign(url);
          }
        });
      }
      element.dataset.rendered = 'true';
      charts.push(chart);
    });
    window.addEventListener('resize', function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
    // Charts drawn for the screen are redrawn at the paper's width when printing.
    window.addEventListener('beforeprint', function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
  }

  function wireControls() {
    document.querySelectorAll('select[data-autosubmit]').forEach(function (select) {
      select.addEventListener('change', function () { select.form.submit(); });
    });
    document.querySelectorAll('[data-action="print"]').forEach(function (button) {
      button.hidden = false;
      button.addEventListener('click', function () { window.print(); });
    });
  }

  function start() {
    wireControls();
    drawCharts();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
